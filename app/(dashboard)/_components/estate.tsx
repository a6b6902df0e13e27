// Small server-side pieces shared by the estate views: number/date/TTL formatting, severity
// and binding labels, export links (the current filters + format), filter error panel.
import Link from 'next/link';
import type { ReactNode } from 'react';

export const fmt = (n: number) => n.toLocaleString('en-US');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The one date formatter for people: "3 Nov 2026, 14:05 UTC" (UTC always, so a screenshot or a
 * shared link reads the same in every time zone; no locale guessing on the server).
 */
export function when(iso: string | null, opts: { seconds?: boolean } = {}): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const hm = d.toISOString().slice(11, opts.seconds ? 19 : 16);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${hm} UTC`;
}

/** A date for people, with the exact instant in its tooltip and as machine-readable datetime. */
export function When({ iso, seconds }: { iso: string | null; seconds?: boolean }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {when(iso, { seconds })}
    </time>
  );
}
export const ttl = (s: number | null) =>
  s == null ? 'never' : s < 3600 ? `${Math.round(s / 60)} min` : s < 86400 * 2 ? `${Math.round(s / 3600)} h` : s < 86400 * 730 ? `${Math.round(s / 86400)} d` : `${(s / 86400 / 365).toFixed(1)} y`;

const SEV_COLOR: Record<string, string> = { critical: '#7f1d1d', high: 'var(--bad)', medium: 'var(--warn)', low: 'var(--muted)', info: 'var(--muted)' };

/** Severity label; deliberately not `.badge` (the token table's badges are bindings only). */
export function Sev({ s }: { s: string | null }) {
  if (!s) return <span className="muted">—</span>;
  return (
    <span className="sev" style={{ color: SEV_COLOR[s] ?? 'inherit', fontWeight: 700, fontSize: '0.78rem', textTransform: 'uppercase' }}>
      {s}
    </span>
  );
}

export function query(params: Record<string, string | undefined>, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams(Object.entries({ ...params, ...extra }).filter(([, v]) => v !== undefined && v !== '') as [string, string][]);
  return q.size ? `?${q}` : '';
}

export function ExportLinks({ api, params }: { api: string; params: Record<string, string | undefined> }) {
  const p = { ...params, after: undefined, limit: undefined };
  return (
    <span className="muted" style={{ fontSize: '0.85rem' }} data-testid="export-links">
      Export as filtered:{' '}
      <a href={`/api/v1/${api}${query(p, { format: 'csv' })}`} download>CSV</a>
      {' · '}
      <a href={`/api/v1/${api}${query(p, { format: 'json' })}`} download>JSON</a>
    </span>
  );
}

export function FilterError({ error }: { error: unknown }) {
  return (
    <div className="panel" role="alert">
      <p className="error">Bad filter: {error instanceof Error ? error.message : String(error)}</p>
    </div>
  );
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <tr>
      <th style={{ width: '14rem' }}>{label}</th>
      <td>{children}</td>
    </tr>
  );
}

export function IdentityLink({ id, name }: { id: string | null; name: string | null }) {
  if (!id) return <span className="muted">—</span>;
  return <Link href={`/identities/${id}`} className="mono">{name ?? id}</Link>;
}
