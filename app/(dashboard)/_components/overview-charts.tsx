'use client';
// Overview charts. Every element drills down: clicking a bar/area navigates to the filtered
// rows it counts (the same URL a person could share). Plain links under each chart give the
// same drill-downs without a pointer, and a data table beside each chart is its text alternative
// (the chart itself is hidden from assistive technology).
import { BINDINGS } from '@/lib/domain/types.ts';
import { useRouter } from 'next/navigation';
import { bucketRange, type WindowBucket } from '@/lib/domain/time-bucket.ts';
import { verdictLabel } from './labels.tsx';
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

const BINDING_COLORS = { bearer: '#c2410c', mtls: '#0f766e', dpop: '#4338ca' } as const;


/** Axis label of a bucket starting at `start` (ISO, UTC): "11-22" per day, "11-22 07:00" per hour. */
export const bucketLabel = (start: string, bucket: WindowBucket) => (bucket === 'day' ? start.slice(5, 10) : `${start.slice(5, 10)} ${start.slice(11, 16)}`);

export function BindingMixChart({ rows, bucket }: { rows: { start: string; bearer: number; mtls: number; dpop: number }[]; bucket: WindowBucket }) {
  const router = useRouter();
  const data = rows.map((r) => ({ ...r, label: bucketLabel(r.start, bucket) }));
  return (
    <div style={{ width: '100%', height: 260 }} data-testid="binding-mix-chart" aria-hidden="true">
      <ResponsiveContainer>
        <AreaChart data={data} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" fontSize={12} />
          <YAxis fontSize={12} allowDecimals={false} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12, cursor: 'pointer' }} onClick={(e) => router.push(`/tokens?binding=${String((e as { dataKey?: unknown }).dataKey)}`)} />
          {BINDINGS.map((b) => (
            <Area
              key={b}
              type="monotone"
              dataKey={b}
              stackId="m"
              stroke={BINDING_COLORS[b]}
              fill={BINDING_COLORS[b]}
              fillOpacity={0.35}
              isAnimationActive={false}
              style={{ cursor: 'pointer' }}
              onClick={() => router.push(`/tokens?binding=${b}`)}
              activeDot={{ onClick: () => router.push(`/tokens?binding=${b}`), style: { cursor: 'pointer' } }}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

const VERDICT_COLORS: Record<string, string> = {
  binding_mismatch: '#b91c1c',
  proof_invalid: '#7c3aed',
  no_proof_for_bound_token: '#db2777',
  binding_context_stripped: '#a16207',
  cert_untrusted: '#0369a1',
  cert_revoked: '#1d4ed8',
  cert_expired: '#0f766e',
};

/**
 * Failures per bucket by verdict. A bar drills down to its bucket's events, cut to `within` (the
 * window charted).
 */
export function FailuresByReasonChart({ rows, bucket = 'day', within, scope = '' }: { rows: { start: string; verdict: string; n: number }[]; bucket?: WindowBucket; within?: { from: string; to: string }; scope?: string }) {
  const router = useRouter();
  const verdicts = [...new Set(rows.map((r) => r.verdict))];
  const byStart = new Map<string, Record<string, number | string>>();
  for (const r of rows) {
    const d = byStart.get(r.start) ?? { start: r.start, label: bucketLabel(r.start, bucket) };
    d[r.verdict] = r.n;
    byStart.set(r.start, d);
  }
  const go = (verdict: string, start: string) => {
    const { from, to } = bucketRange(start, bucket, within);
    router.push(`/failures?verdict=${verdict}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${scope}`);
  };
  return (
    <div style={{ width: '100%', height: 300 }} data-testid="failures-chart" aria-hidden="true">
      <ResponsiveContainer>
        <BarChart data={[...byStart.values()]} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" fontSize={12} />
          <YAxis fontSize={12} allowDecimals={false} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12, cursor: 'pointer' }} onClick={(e) => router.push(`/failures?verdict=${String((e as { dataKey?: unknown }).dataKey)}`)} />
          {verdicts.map((v) => (
            <Bar
              key={v}
              dataKey={v}
              name={verdictLabel(v)}
              stackId="f"
              fill={VERDICT_COLORS[v] ?? '#64748b'}
              isAnimationActive={false}
              style={{ cursor: 'pointer' }}
              onClick={(d) => go(v, String((d as unknown as { payload?: { start?: string } }).payload?.start ?? ''))}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function TtlChart({ rows }: { rows: { bucket: string; label: string; href: string; bearer: number; mtls: number; dpop: number }[] }) {
  const router = useRouter();
  return (
    <div style={{ width: '100%', height: 260 }} data-testid="ttl-chart" aria-hidden="true">
      <ResponsiveContainer>
        <BarChart data={rows} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" fontSize={12} />
          <YAxis fontSize={12} allowDecimals={false} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {BINDINGS.map((b) => (
            <Bar
              key={b}
              dataKey={b}
              stackId="t"
              fill={BINDING_COLORS[b]}
              isAnimationActive={false}
              style={{ cursor: 'pointer' }}
              onClick={(d) => router.push(`${String((d as unknown as { payload?: { href?: string } }).payload?.href ?? '/tokens')}&binding=${b}`)}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function TopIdentitiesChart({ rows }: { rows: { id: string; name: string; critical: number; high: number; blastRadius: number }[] }) {
  const router = useRouter();
  const go = (d: unknown, severity: 'critical' | 'high') => {
    const id = (d as { payload?: { id?: string } }).payload?.id;
    if (id) router.push(`/findings?identity=${id}&severity=${severity}`);
  };
  return (
    <div style={{ width: '100%', height: Math.max(160, rows.length * 28 + 60) }} data-testid="top-identities-chart" aria-hidden="true">
      <ResponsiveContainer>
        <BarChart data={rows} layout="vertical" margin={{ left: 8 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" fontSize={12} allowDecimals={false} />
          <YAxis type="category" dataKey="name" width={170} fontSize={11} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="critical" name="open critical findings" stackId="s" fill="#7f1d1d" isAnimationActive={false} style={{ cursor: 'pointer' }} onClick={(d) => go(d, 'critical')} />
          <Bar dataKey="high" name="open high findings" stackId="s" fill="#dc2626" isAnimationActive={false} style={{ cursor: 'pointer' }} onClick={(d) => go(d, 'high')} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
