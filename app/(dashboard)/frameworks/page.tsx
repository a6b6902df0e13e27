import type { Metadata } from 'next';
import { listBuiltinFrameworks } from '@/lib/frameworks/registry.ts';
import { requirePage } from '../../_lib/session.ts';

export const metadata: Metadata = { title: 'Frameworks' };

export default async function FrameworksPage({ searchParams }: { searchParams: Promise<{ framework?: string }> }) {
  await requirePage('read');
  const sp = await searchParams;
  const frameworks = listBuiltinFrameworks();
  const selected = frameworks.find((f) => f.id === sp.framework) ?? frameworks[0];
  return (
    <>
      <h1>Frameworks</h1>
      <form className="filters" method="get">
        <label>
          Framework
          <select name="framework" defaultValue={selected?.id}>
            {frameworks.map((f) => (
              <option key={f.id} value={f.id}>{f.name} ({f.version})</option>
            ))}
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      {selected && (
        <div className="panel">
          <h2>{selected.name} <span className="muted">version {selected.version}</span></h2>
          <table className="data">
            <thead><tr><th>Control</th><th>Title</th><th>What Holdfast looks at</th></tr></thead>
            <tbody>
              {selected.controls.map((c) => {
                const maps = selected.mapping.filter((m) => m.controlId === c.id);
                return (
                  <tr key={c.id}>
                    <td className="mono">{c.id}</td>
                    <td>{c.title}</td>
                    <td>{maps.length ? maps.map((m) => m.subject).join(', ') : <span className="muted">no evidence mapped</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
