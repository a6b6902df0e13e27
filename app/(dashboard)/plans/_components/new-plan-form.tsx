'use client';

import { useRouter } from 'next/navigation';
import { useRef } from 'react';
import { IDENTITY_KINDS } from '@/lib/domain/types.ts';
import { api } from '../../../_components/api.ts';
import { SubmitError, useSubmit } from '../../../_components/submit.tsx';

export interface NewPlanDefaults {
  require: 'mtls' | 'dpop' | 'bound';
  maxTtl: string;
  source: string;
  gateway: string;
  route: string;
  identity: string;
  kind: string;
  /** `yes`, `no` or empty (any). */
  privileged: 'yes' | 'no' | '';
  audience: string;
  from: string;
  to: string;
}

/** A date (YYYY-MM-DD) as the start of that UTC day; a full instant as given. */
function instant(v: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
}

export function NewPlanForm({ defaults, sources }: { defaults: NewPlanDefaults; sources: string[] }) {
  const router = useRouter();
  // Set once a plan is saved: the page is on its way to it, and another submit must not save a second plan.
  const built = useRef(false);
  const build = useSubmit(
    async (body: unknown) => {
      const saved = await api<{ id: string }>('POST', '/api/v1/plans', body);
      built.current = true;
      router.push(`/plans/${saved.id}`);
      return saved;
    },
    { refresh: false },
  );
  const busy = build.busy || build.result !== null;
  // A source named in the link that the list no longer has stays selectable (the service names it unknown).
  const sourceOptions = defaults.source && !sources.includes(defaults.source) ? [defaults.source, ...sources] : sources;

  async function submit(form: HTMLFormElement) {
    if (built.current) return;
    const f = new FormData(form);
    const str = (k: string) => String(f.get(k) ?? '').trim();
    const identity = {
      ...(str('kind') ? { kind: str('kind') } : {}),
      ...(str('identity') ? { nameGlob: str('identity') } : {}),
      ...(str('privileged') ? { privileged: str('privileged') === 'yes' } : {}),
    };
    const exceptions = str('exceptions').split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const at = l.indexOf(':');
      return at > 0 ? { identity: l.slice(0, at).trim(), reason: l.slice(at + 1).trim() || 'declared by the operator' } : { identity: l, reason: 'declared by the operator' };
    });
    const body = {
      ...(str('name') ? { name: str('name') } : {}),
      policy: {
        require: str('require'),
        ...(str('maxTtl') ? { maxTtlSeconds: Number(str('maxTtl')) } : {}),
        scope: {
          ...(str('source') ? { source: str('source') } : {}),
          ...(str('gateway') ? { gateway: str('gateway') } : {}),
          ...(str('route') ? { routePrefix: str('route') } : {}),
          ...(Object.keys(identity).length ? { identity } : {}),
          ...(str('audience') ? { audience: str('audience') } : {}),
        },
      },
      from: instant(str('from')),
      to: instant(str('to')),
      exceptions,
    };
    await build.run(body);
  }

  return (
    <form className="panel" onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }} aria-label="Rollout plan">
      <div className="filters">
        <label>
          Name
          <input name="name" placeholder="Require mTLS on the edge" maxLength={200} />
        </label>
        <label>
          Require
          <select name="require" defaultValue={defaults.require}>
            <option value="mtls">mTLS</option>
            <option value="dpop">DPoP</option>
            <option value="bound">bound (either)</option>
          </select>
        </label>
        <label>
          Max token TTL (s)
          <input name="maxTtl" type="number" min={1} defaultValue={defaults.maxTtl} />
        </label>
        <label>
          Source
          <select name="source" defaultValue={defaults.source}>
            <option value="">any source</option>
            {sourceOptions.map((x) => <option key={x} value={x}>{x}</option>)}
          </select>
        </label>
        <label>
          Gateway
          <input name="gateway" defaultValue={defaults.gateway} />
        </label>
        <label>
          Route (host/path)
          <input name="route" defaultValue={defaults.route} placeholder="api.example.com/orders" />
        </label>
        <label>
          Identities (glob)
          <input name="identity" defaultValue={defaults.identity} placeholder="svc-*" />
        </label>
        <label>
          Kind
          <select name="kind" defaultValue={defaults.kind}>
            <option value="">any</option>
            {IDENTITY_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </label>
        <label>
          Privileged tokens
          <select name="privileged" defaultValue={defaults.privileged}>
            <option value="">any</option>
            <option value="yes">privileged only</option>
            <option value="no">unprivileged only</option>
          </select>
        </label>
        <label>
          Audience
          <input name="audience" defaultValue={defaults.audience} placeholder="any" />
        </label>
        <label>
          From
          <input name="from" defaultValue={defaults.from} required />
        </label>
        <label>
          To
          <input name="to" defaultValue={defaults.to} required />
        </label>
      </div>
      <label>
        Exceptions
        <textarea name="exceptions" rows={3} placeholder={'legacy-batch-*: vendor appliance, firmware cannot hold a key'} style={{ width: '100%' }} />
      </label>
      <p>
        <button type="submit" disabled={busy}>{busy ? 'Building…' : 'Build rollout plan'}</button>
      </p>
      <SubmitError error={build.error} />
    </form>
  );
}
