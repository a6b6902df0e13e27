'use client';
// One time-range picker for every page with a time dimension (Grafana-style): relative presets
// written as `from=now-24h` (the window moves with the clock, links stay shareable) or a custom
// absolute range in UTC; `from`/`to` in the URL. The page states which window it shows, its
// default included.
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { href } from './filter-bar.tsx';

export const RANGE_PRESETS = [
  { from: 'now-15m', label: 'Last 15 minutes' },
  { from: 'now-1h', label: 'Last hour' },
  { from: 'now-6h', label: 'Last 6 hours' },
  { from: 'now-24h', label: 'Last 24 hours' },
  { from: 'now-7d', label: 'Last 7 days' },
  { from: 'now-30d', label: 'Last 30 days' },
  { from: 'now-90d', label: 'Last 90 days' },
] as const;

/** Words for a from/to pair as the URL holds it. */
export function rangeLabel(from: string | null, to: string | null): string {
  const preset = RANGE_PRESETS.find((p) => p.from === from);
  if (preset && (!to || to === 'now')) return preset.label;
  const fmt = (v: string) => (v.startsWith('now') ? v : `${v.slice(0, 16).replace('T', ' ')} UTC`);
  if (from && to) return `${fmt(from)} → ${fmt(to)}`;
  if (from) return `since ${fmt(from)}`;
  if (to) return `until ${fmt(to)}`;
  return 'all time';
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** `YYYY-MM-DDTHH:mm` for a datetime-local input, in UTC. */
const localValue = (v: string | null) => (v && !v.startsWith('now') && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString().slice(0, 16) : '');

export function TimeRangePicker({ defaultFrom, label = 'Time range' }: { defaultFrom?: string; label?: string }) {
  const sp = useSearchParams();
  const path = usePathname();
  const router = useRouter();
  const urlFrom = sp.get('from');
  const urlTo = sp.get('to');
  const defaulted = !urlFrom && !urlTo && !!defaultFrom;
  const from = urlFrom ?? (urlTo ? null : defaultFrom ?? null);
  const [custom, setCustom] = useState(false);
  const isPreset = RANGE_PRESETS.some((p) => p.from === from) && !urlTo;

  const go = (f: string | null, t: string | null) => {
    const q = new URLSearchParams(sp);
    q.delete('after');
    q.delete('from');
    q.delete('to');
    if (f) q.set('from', f);
    if (t) q.set('to', t);
    router.push(href(path, q));
  };
  const applyCustom = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    const toIso = (v: FormDataEntryValue | null) => (v && String(v) ? new Date(`${String(v)}:00Z`).toISOString() : null);
    go(toIso(d.get('from')), toIso(d.get('to')));
    setCustom(false);
  };

  return (
    <div className="time-range" key={sp.toString()}>
      <label>
        {label}
        <select
          value={custom || (!isPreset && (urlFrom || urlTo)) ? 'custom' : from ?? ''}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'custom') setCustom(true);
            else go(v || null, null);
          }}
        >
          {defaultFrom ? null : <option value="">All time</option>}
          {RANGE_PRESETS.map((p) => (
            <option key={p.from} value={p.from}>{p.label}</option>
          ))}
          <option value="custom">Custom range…</option>
        </select>
      </label>
      {custom || (!isPreset && (urlFrom || urlTo)) ? (
        <form className="filters" aria-label="Custom time range" onSubmit={applyCustom}>
          <label>From (UTC)<input type="datetime-local" name="from" defaultValue={localValue(urlFrom)} /></label>
          <label>To (UTC)<input type="datetime-local" name="to" defaultValue={localValue(urlTo)} /></label>
          <button type="submit">Apply range</button>
        </form>
      ) : null}
      <span className="muted" data-testid="time-window">
        {/* Only the first letter: lower-casing the whole label turned "UTC" into "utc". */}
        Showing: {lowerFirst(rangeLabel(from, urlTo))}
        {defaulted ? ' (default window)' : ''}
      </span>
    </div>
  );
}
