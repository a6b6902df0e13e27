'use client';

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface ProgressRow {
  day: string;
  [wave: `w${number}`]: number | null;
}

const WAVES = [
  ['w0', 'Wave 0', '#15803d'],
  ['w1', 'Wave 1', '#1d4ed8'],
  ['w2', 'Wave 2', '#d97706'],
  ['w3', 'Wave 3', '#6b7280'],
] as const;

/** Per day since the plan was saved: each wave's share of requests that meet the policy or were refused, in %. */
export function ProgressChart({ rows }: { rows: ProgressRow[] }) {
  return (
    <div style={{ width: '100%', height: 240 }} data-testid="progress-chart">
      <ResponsiveContainer>
        <LineChart data={rows} margin={{ left: 8, right: 16, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" fontSize={12} />
          <YAxis domain={[0, 100]} unit="%" fontSize={12} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {WAVES.map(([key, label, color]) => (
            <Line key={key} dataKey={key} name={label} stroke={color} connectNulls isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
