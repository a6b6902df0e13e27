'use client';
// One filter bar for every list page. The controls read the URL (not the server's first render),
// and the form is re-mounted whenever the URL changes, so after client navigation (a chip removed,
// a drill-down link, Back) the controls always show the filters the list was built with. Apply
// writes only the parameters that have a value; each active filter is also a removable chip.
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import type { FormEvent } from 'react';

export type FilterField =
  | { kind: 'select'; name: string; label: string; options: { value: string; label: string }[]; anyLabel?: string }
  | { kind: 'text'; name: string; label: string; width?: string; placeholder?: string }
  /** Seconds in the URL; entered and shown in the unit the table shows (min, h, d). */
  | { kind: 'duration'; name: string; label: string }
  /** No control (set by drill-down links): shown as a chip only. */
  | { kind: 'chip'; name: string; label: string };

const UNITS = [
  { unit: 'd', s: 86_400 },
  { unit: 'h', s: 3_600 },
  { unit: 'min', s: 60 },
] as const;

/** Seconds as the largest unit that divides them (the table's units: min, h, d). */
export function splitDuration(seconds: number): { n: number; unit: (typeof UNITS)[number]['unit'] } {
  for (const u of UNITS) if (seconds % u.s === 0 && seconds >= u.s) return { n: seconds / u.s, unit: u.unit };
  return { n: Math.round(seconds / 60), unit: 'min' };
}

function durationLabel(v: string): string {
  const n = Number(v);
  if (!Number.isFinite(n)) return v;
  const d = splitDuration(n);
  return `${d.n} ${d.unit}`;
}

function display(field: FilterField, v: string): string {
  if (field.kind === 'select') return field.options.find((o) => o.value === v)?.label ?? v;
  if (field.kind === 'duration') return durationLabel(v);
  return v;
}

/** The URL of `path` with `params`, empty values dropped. */
export function href(path: string, params: URLSearchParams): string {
  const q = new URLSearchParams([...params].filter(([, v]) => v.trim() !== ''));
  return q.size ? `${path}?${q}` : path;
}

export function FilterBar({ label, fields }: { label: string; fields: FilterField[] }) {
  const sp = useSearchParams();
  const path = usePathname();
  const router = useRouter();
  const names = new Set(fields.map((f) => f.name));

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    // Parameters this bar does not control (time range, grouping, sort) stay; the page cursor goes.
    for (const [k, v] of sp) if (!names.has(k) && k !== 'after') next.append(k, v);
    for (const f of fields) {
      if (f.kind === 'duration') {
        const n = String(data.get(`${f.name}__n`) ?? '').trim();
        const unit = UNITS.find((u) => u.unit === data.get(`${f.name}__unit`)) ?? UNITS[0];
        if (n !== '' && Number.isFinite(Number(n))) next.set(f.name, String(Math.round(Number(n) * unit.s)));
        continue;
      }
      const v = f.kind === 'chip' ? sp.get(f.name) ?? '' : String(data.get(f.name) ?? '').trim();
      if (v !== '') next.set(f.name, v);
    }
    router.push(href(path, next));
  }

  const active = fields.filter((f) => (sp.get(f.name) ?? '') !== '');
  const without = (name: string) => {
    const q = new URLSearchParams(sp);
    q.delete(name);
    q.delete('after');
    return href(path, q);
  };

  return (
    <div className="filter-bar">
      <form key={sp.toString()} className="filters" aria-label={label} onSubmit={apply}>
        {fields.map((f) => {
          const v = sp.get(f.name) ?? '';
          if (f.kind === 'chip') return null;
          if (f.kind === 'select')
            return (
              <label key={f.name}>
                {f.label}
                <select name={f.name} defaultValue={v}>
                  <option value="">{f.anyLabel ?? 'any'}</option>
                  {f.options.map((o) => (
                    <option key={o.value} value={o.value}>{o.label}</option>
                  ))}
                </select>
              </label>
            );
          if (f.kind === 'duration') {
            const d = v === '' || !Number.isFinite(Number(v)) ? null : splitDuration(Number(v));
            return (
              <fieldset key={f.name} className="duration">
                <legend>{f.label}</legend>
                <input name={`${f.name}__n`} type="number" min={0} step="any" defaultValue={d?.n ?? ''} aria-label={`${f.label}, amount`} />
                <select name={`${f.name}__unit`} defaultValue={d?.unit ?? 'd'} aria-label={`${f.label}, unit`}>
                  {UNITS.map((u) => (
                    <option key={u.unit} value={u.unit}>{u.unit}</option>
                  ))}
                </select>
              </fieldset>
            );
          }
          return (
            <label key={f.name}>
              {f.label}
              <input name={f.name} defaultValue={v} placeholder={f.placeholder} style={f.width ? { width: f.width } : undefined} />
            </label>
          );
        })}
        <button type="submit">Apply</button>
        <Link href={path}>Clear all</Link>
      </form>
      {active.length ? (
        <ul className="chips" aria-label="Active filters" data-testid="filter-chips">
          {active.map((f) => (
            <li key={f.name} className="chip">
              <span>
                {f.label}: <strong>{display(f, sp.get(f.name) ?? '')}</strong>
              </span>
              <Link href={without(f.name)} aria-label={`Remove filter ${f.label}`} title={`Remove filter ${f.label}`}>
                ×
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
