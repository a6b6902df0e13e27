'use client';

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface CoverageRow {
  id: string;
  name: string;
  /** Controls in the framework (the 100 %). */
  controls: number;
  satisfied: number;
  partially_satisfied: number;
  not_satisfied: number;
  not_assessed: number;
}

type StatusKey = 'satisfied' | 'partially_satisfied' | 'not_satisfied' | 'not_assessed';

const SERIES: ReadonlyArray<readonly [StatusKey, string, string]> = [
  ['satisfied', 'Satisfied', '#15803d'],
  ['partially_satisfied', 'Partially satisfied', '#d97706'],
  ['not_satisfied', 'Not satisfied', '#b91c1c'],
  ['not_assessed', 'Not assessed', '#cbd5e1'],
];

/** Share of a framework's controls, in percent with one decimal (frameworks of different sizes compare). */
export function percent(n: number, of: number): number {
  return of > 0 ? Math.round((n / of) * 1000) / 10 : 0;
}

/** The chart in words, for screen readers and for anyone who wants the numbers. */
export function coverageSummary(rows: readonly CoverageRow[]): string {
  return rows
    .map((r) => `${r.name}: ${SERIES.map(([k, label]) => `${percent(r[k], r.controls)}% ${label.toLowerCase()}`).join(', ')} of ${r.controls} controls`)
    .join('; ');
}

/**
 * Controls per status for every framework as stacked horizontal bars in percent of the
 * framework's controls (a 10-control and a 19-control framework compare), the counts in the
 * tooltip, and the same numbers as a table (text alternative).
 */
export function CoverageChart({ rows }: { rows: CoverageRow[] }) {
  const data = rows.map((r) => ({ ...r, ...Object.fromEntries(SERIES.map(([k]) => [`${k}_pct`, percent(r[k], r.controls)])) }));
  return (
    <>
      <div style={{ width: '100%', height: 40 + rows.length * 38 }} data-testid="coverage-chart" role="img" aria-label={`Coverage by framework, percent of controls. ${coverageSummary(rows)}.`}>
        <ResponsiveContainer>
          <BarChart data={data} layout="vertical" margin={{ left: 16, right: 16 }}>
            <CartesianGrid strokeDasharray="3 3" horizontal={false} />
            <XAxis type="number" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" fontSize={12} />
            <YAxis type="category" dataKey="id" width={150} fontSize={12} />
            <Tooltip
              formatter={(value, name, item) => {
                const key = String(item?.dataKey ?? '').replace(/_pct$/, '') as StatusKey;
                const row = item?.payload as CoverageRow | undefined;
                return [`${String(value)}% (${row ? row[key] : '?'} of ${row?.controls ?? '?'} controls)`, name];
              }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {SERIES.map(([key, label, color]) => (
              <Bar key={key} dataKey={`${key}_pct`} name={label} stackId="s" fill={color} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <details data-testid="coverage-table">
        <summary>Coverage as a table</summary>
        <table className="data">
          <caption className="muted" style={{ textAlign: 'left' }}>Percent of each framework&apos;s controls per status (number of controls in brackets)</caption>
          <thead>
            <tr>
              <th>Framework</th>
              <th className="num">Controls</th>
              {SERIES.map(([k, label]) => <th key={k} className="num">{label}</th>)}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{r.name}</td>
                <td className="num">{r.controls}</td>
                {SERIES.map(([k]) => <td key={k} className="num">{percent(r[k], r.controls)}% ({r[k]})</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}
