'use client';

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

const COLORS: Record<string, string> = {
  bearer_unbound: '#c2410c',
  binding_mismatch: '#b91c1c',
  proof_invalid: '#7c3aed',
  no_proof_for_bound_token: '#db2777',
  bound_not_enforced: '#991b1b',
  binding_context_stripped: '#a16207',
  cert_untrusted: '#0369a1',
  cert_revoked: '#1d4ed8',
  cert_expired: '#0f766e',
  token_expired: '#6b7280',
};

export function FailuresChart({ rows }: { rows: Array<{ day: string; verdict: string; n: number }> }) {
  const verdicts = [...new Set(rows.map((r) => r.verdict))];
  const byDay = new Map<string, Record<string, number | string>>();
  for (const r of rows) {
    const d = byDay.get(r.day) ?? { day: r.day.slice(5) };
    d[r.verdict] = r.n;
    byDay.set(r.day, d);
  }
  const data = [...byDay.values()];
  return (
    <div style={{ width: '100%', height: 320 }} data-testid="failures-chart">
      <ResponsiveContainer>
        <BarChart data={data}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" fontSize={12} />
          <YAxis fontSize={12} allowDecimals={false} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {verdicts.map((v) => (
            <Bar key={v} dataKey={v} stackId="f" fill={COLORS[v] ?? '#64748b'} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
