'use client';
// The policy to simulate, written to the URL (only the fields that have a value), so the result
// can be reloaded and shared. Without JavaScript it is a plain GET form with the same names.
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import type { FormEvent } from 'react';
import { IDENTITY_KINDS } from '@/lib/domain/types.ts';
import type { SimulateQuery } from './simulate-query.ts';

export function PolicyForm({ q, sources, gateways, invalid }: { q: SimulateQuery; sources: string[]; gateways: string[]; invalid: string | null }) {
  const router = useRouter();
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(e.currentTarget)) if (typeof v === 'string' && v.trim() !== '') next.append(k, v.trim());
    router.push(`/simulate?${next}`);
  }
  const cls = (k: keyof SimulateQuery) => (invalid === k ? 'invalid' : undefined);
  // A source named in the URL that the list no longer has stays selectable (the service names it unknown).
  const sourceOptions = q.source && !sources.includes(q.source) ? [q.source, ...sources] : sources;
  return (
    // Re-mounted per query (key) so Back and shared links show the policy the result was built with.
    <form key={JSON.stringify(q)} method="get" action="/simulate" className="panel" aria-label="Policy" onSubmit={submit}>
      <div className="filters">
        <label>
          Require
          <select name="require" defaultValue={q.require || 'mtls'}>
            <option value="mtls">mTLS-bound tokens</option>
            <option value="dpop">DPoP-bound tokens</option>
            <option value="bound">bound tokens (either)</option>
          </select>
        </label>
        <label className={cls('maxTtl')}>
          Max token TTL (s)
          <input name="maxTtl" defaultValue={q.maxTtl} placeholder="no limit" inputMode="numeric" style={{ width: '7rem' }} />
        </label>
        <label className={cls('source')}>
          Source
          <select name="source" defaultValue={q.source} style={{ maxWidth: '16rem' }}>
            <option value="">any source</option>
            {sourceOptions.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label className={cls('gateway')}>
          Gateway
          <input name="gateway" defaultValue={q.gateway} placeholder="any" list="simulate-gateways" style={{ width: '9rem' }} />
          <datalist id="simulate-gateways">{gateways.map((g) => <option key={g} value={g} />)}</datalist>
        </label>
        <label className={cls('route')}>
          Route (host/path prefix)
          <input name="route" defaultValue={q.route} placeholder="api.example.com/v1" style={{ width: '17rem', maxWidth: '100%' }} />
        </label>
        <label className={cls('kind')}>
          Identity kind
          <select name="kind" defaultValue={q.kind}>
            <option value="">any</option>
            {IDENTITY_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </label>
        <label className={cls('identity')}>
          Identity name (glob)
          <input name="identity" defaultValue={q.identity} placeholder="svc-*" style={{ width: '9rem' }} />
        </label>
        <label className={cls('privileged')}>
          Privileged tokens
          <select name="privileged" defaultValue={q.privileged}>
            <option value="">any</option>
            <option value="yes">privileged only</option>
            <option value="no">unprivileged only</option>
          </select>
        </label>
        <label className={cls('audience')}>
          Audience
          <input name="audience" defaultValue={q.audience} placeholder="any" style={{ width: '9rem' }} />
        </label>
        <label className={cls('from')}>
          From
          <input name="from" defaultValue={q.from} placeholder="now-30d" style={{ width: '13rem' }} />
        </label>
        <label className={cls('to')}>
          To
          <input name="to" defaultValue={q.to} placeholder="now" style={{ width: '13rem' }} />
        </label>
      </div>
      <p style={{ margin: 0, display: 'flex', gap: '1rem', alignItems: 'baseline', flexWrap: 'wrap' }}>
        <button type="submit">Simulate</button>
        <Link href="/simulate">Clear</Link>
        <span className="muted" style={{ fontSize: '0.85rem' }}>From and To: ISO 8601 (2026-11-01T00:00:00Z) or now-30d; read in whole hours.</span>
      </p>
    </form>
  );
}
