// Settings → Evidence kept (every role): how long each evidence store keeps what, by which setting,
// how much it holds now, the oldest time it can still show and when its next partition goes; and
// the partitions retention dropped lately, each on the audit log; the evidence holds that pause
// retention (evidence-holds.tsx, admins place and release them). A server component: figures as
// of the page load.
import { byteSize } from '@/lib/domain/byte-size.ts';
import type { EvidenceStorageView } from '@/lib/services/evidence/storage.ts';
import { EvidenceHolds } from './evidence-holds.tsx';

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');
const minute = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const days = (n: number) => (n === 1 ? '1 day' : `${n.toLocaleString('en-US')} days`);

/** A long identifier that may break only after its underscores (HOLDFAST_REQUEST_WINDOW_DAYS, Request_20261206). */
function Breakable({ text }: { text: string }) {
  const parts = text.split('_');
  return <>{parts.map((p, i) => (i < parts.length - 1 ? <span key={i}>{p}_<wbr /></span> : <span key={i}>{p}</span>))}</>;
}

export function EvidencePanel({ view, admin }: { view: EvidenceStorageView; admin: boolean }) {
  return (
    <div className="panel" id="evidence" data-testid="evidence-panel">
      <h2>Evidence kept</h2>
      <p className="muted">
        Each store keeps its evidence in partitions (a day of the request ledger and of hops, a month of the others) and
        drops a partition whole within about an hour of its retention ending, whether or not anything is ingested, unless an evidence hold is in force (below); every drop is an audit entry
        (<code>evidence.partition_dropped</code>) naming the partition, the time it held, its rows and size. The retention
        is the server&apos;s configuration: the setting named on each store.
      </p>
      <table className="data">
        <thead>
          <tr><th>Store</th><th>Kept</th><th>Setting</th><th className="num">Partitions</th><th className="num">Rows</th><th className="num">Size</th><th>Oldest day</th><th>Next drop</th></tr>
        </thead>
        <tbody>
          {view.stores.map((s) => (
            <tr key={s.table} data-testid="evidence-store" data-table={s.table}>
              <td><strong>{s.label}</strong><div className="muted">{s.holds}</div></td>
              <td className="nowrap">{days(s.keptDays)}</td>
              <td><code><Breakable text={s.setting} /></code></td>
              <td className="num">{s.partitions}</td>
              <td className="num" title={s.rowsEstimated ? 'large partitions: the planner’s estimate' : 'counted'}>{s.partitions ? `${s.rowsEstimated ? '≈ ' : ''}${s.rows.toLocaleString('en-US')}` : '—'}</td>
              <td className="num nowrap">{s.partitions ? byteSize(s.bytes) : '—'}</td>
              <td className="mono nowrap">{day(s.oldestFrom)}</td>
              <td>
                {s.nextDrop ? <><code><Breakable text={s.nextDrop.partition} /></code><br /><span style={{ whiteSpace: 'nowrap' }}>{minute(s.nextDrop.at)}</span></> : '—'}
                {s.overdue ? <div className={view.held ? 'error' : 'muted'} data-testid="evidence-overdue">{s.overdue === 1 ? '1 partition' : `${s.overdue} partitions`} past retention{view.held ? ', kept by a hold' : ', going at the next run'}</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>In all: <strong>{byteSize(view.totalBytes)}</strong>.</p>
      <EvidenceHolds holds={view.holds} admin={admin} />
      <h3>Dropped lately</h3>
      {view.drops.length === 0 ? (
        <p className="muted" data-testid="evidence-drops-none">No partition has reached the end of its retention yet.</p>
      ) : (
        <table className="data" data-testid="evidence-drops">
          <thead>
            <tr><th>When</th><th>Partition</th><th>Held</th><th className="num">Rows</th><th className="num">Size</th><th className="num">Audit entry</th></tr>
          </thead>
          <tbody>
            {view.drops.map((d) => (
              <tr key={d.seq}>
                <td className="mono nowrap">{minute(d.at)}</td>
                <td><code><Breakable text={d.partition} /></code></td>
                <td className="mono nowrap">{day(d.from)} – {day(d.to)}</td>
                <td className="num">{d.rows.toLocaleString('en-US')}</td>
                <td className="num nowrap">{byteSize(d.bytes)}</td>
                <td className="num mono">#{d.seq}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
