'use client';

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface CoverageRow {
  id: string;
  name: string;
  satisfied: number;
  partially_satisfied: number;
  not_satisfied: number;
  not_assessed: number;
}

const SERIES = [
  ['satisfied', 'Satisfied', '#15803d'],
  ['partially_satisfied', 'Partially satisfied', '#d97706'],
  ['not_satisfied', 'Not satisfied', '#b91c1c'],
  ['not_assessed', 'Not assessed', '#cbd5e1'],
] as const;

/** Controls per status for every framework, as stacked horizontal bars. */
export function CoverageChart({ rows }: { rows: CoverageRow[] }) {
  return (
    <div style={{ width: '100%', height: 40 + rows.length * 38 }} data-testid="coverage-chart">
      <ResponsiveContainer>
        <BarChart data={rows} layout="vertical" margin={{ left: 16, right: 16 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" allowDecimals={false} fontSize={12} />
          <YAxis type="category" dataKey="id" width={150} fontSize={12} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {SERIES.map(([key, label, color]) => (
            <Bar key={key} dataKey={key} name={label} stackId="s" fill={color} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
