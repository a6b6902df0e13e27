import type { Metadata } from 'next';
import Link from 'next/link';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain.ts';
import { requirePage } from '../../_lib/session.ts';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage({ searchParams }: { searchParams: Promise<{ action?: string; before?: string }> }) {
  const { db } = await requirePage('admin');
  const sp = await searchParams;
  const action = sp.action && /^[a-z_.]{1,60}$/.test(sp.action) ? sp.action : undefined;
  const before = sp.before && /^\d{1,18}$/.test(sp.before) ? BigInt(sp.before) : undefined;
  const [chain, rows] = await Promise.all([
    verifyAuditChain(db),
    db.prisma.auditEntry.findMany({
      where: { ...(action ? { action } : {}), ...(before ? { seq: { lt: before } } : {}) },
      orderBy: { seq: 'desc' },
      take: 100,
    }),
  ]);
  return (
    <>
      <h1>Audit log</h1>
      <div className="panel" data-testid="audit-chain">
        {chain.ok ? (
          <p><strong style={{ color: 'var(--ok)' }}>Chain intact</strong> — {chain.entries.toLocaleString('en-US')} entries, each hash covering the one before.</p>
        ) : (
          <p><strong style={{ color: 'var(--bad)' }}>Chain broken at entry {chain.firstBadEntry}</strong>: {chain.problem}. Entries from there on cannot be trusted.</p>
        )}
        <p className="muted">Export for a SIEM as JSON lines: <code>GET /api/v1/audit/entries?after=SEQ</code> (admin API key). Verify offline with <code>holdfast audit verify</code>.</p>
      </div>
      <div className="panel">
        <form className="filters" method="get">
          <label>Action<input name="action" defaultValue={action ?? ''} placeholder="e.g. auth.sign_in" /></label>
          <button type="submit">Filter</button>
        </form>
        <table className="data">
          <thead><tr><th>#</th><th>When (UTC)</th><th>Actor</th><th>Action</th><th>Target</th><th>Details</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.seq.toString()} style={!chain.ok && chain.firstBadEntry === r.seq.toString() ? { background: '#fde8e8' } : undefined}>
                <td className="num">{r.seq.toString()}</td>
                <td className="nowrap">{r.at.toISOString().slice(0, 19).replace('T', ' ')}</td>
                <td className="mono min-id">{r.actor}</td>
                <td className="mono nowrap">{r.action}</td>
                <td className="mono min-id">{r.target ? <TargetLink target={r.target} /> : '—'}</td>
                <td className="mono" style={{ maxWidth: 420, minWidth: '14rem', overflowWrap: 'anywhere' }}>{JSON.stringify(r.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 100 && (
          <div className="pager"><a href={`/audit?${new URLSearchParams({ ...(action ? { action } : {}), before: rows[rows.length - 1]!.seq.toString() })}`}>Older »</a></div>
        )}
      </div>
    </>
  );
}

/** Where an audit target is shown: the revocation, plan, or the Settings / Sources panel that lists it. */
function targetHref(target: string): string | null {
  const i = target.indexOf(':');
  const [kind, id] = i < 0 ? [target, ''] : [target.slice(0, i), target.slice(i + 1)];
  const enc = encodeURIComponent(id);
  switch (kind) {
    case 'revocation':
      return `/revocations/${enc}`;
    case 'plan':
      return `/plans/${enc}`;
    case 'token':
      return `/tokens/${enc}`;
    case 'certificate':
      return `/certificates/${enc}`;
    case 'identity':
      return `/identities/${enc}`;
    case 'connector':
      return '/settings#connectors';
    case 'user':
    case 'apikey':
      return '/settings';
    case 'source':
      return '/sources';
    case 'risk.policy':
      return '/settings#risk-policy';
    default:
      return null;
  }
}

function TargetLink({ target }: { target: string }) {
  const href = targetHref(target);
  return href ? <Link href={href} data-testid="audit-target">{target}</Link> : <>{target}</>;
}
