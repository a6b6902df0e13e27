'use client';
// The risk policy in Settings: what counts as privileged (scope and audience patterns, AI agents),
// TTL limits per class and the rules' thresholds. Everyone who reads findings sees it (it explains
// why a token is high risk); admins edit it. Saving validates on the server (one message per bad
// value, shown next to its field), audits the change and re-evaluates every rule at once.
import type { ReactNode } from 'react';
import type { Policy } from '@/lib/risk/policy.ts';
import { api } from '../../_components/api.ts';
import { onFormSubmit, SubmitError, useSubmit } from '../../_components/submit.tsx';

type Evaluation = { opened: number; resolved: number; reopened: number; updated: number; durationMs: number };

const lines = (v: string[]) => v.join('\n');
const unlines = (v: FormDataEntryValue | null) =>
  String(v ?? '')
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean);
const num = (v: FormDataEntryValue | null) => (String(v ?? '').trim() === '' ? NaN : Number(v));
const HOUR = 3600;

/** The form's fields back into a policy document (hours → seconds); the server validates. */
function policyFrom(f: FormData): unknown {
  return {
    privileged: {
      scopePatterns: unlines(f.get('scopePatterns')),
      audiences: {
        partner: unlines(f.get('aud.partner')),
        crossTenant: unlines(f.get('aud.crossTenant')),
        cicd: unlines(f.get('aud.cicd')),
        admin: unlines(f.get('aud.admin')),
      },
      agentsAlwaysHighRisk: f.get('agentsAlwaysHighRisk') === 'on',
    },
    ttl: {
      agentSeconds: Math.round(num(f.get('ttl.agentHours')) * HOUR),
      serviceSeconds: Math.round(num(f.get('ttl.serviceHours')) * HOUR),
      absoluteSeconds: Math.round(num(f.get('ttl.absoluteDays')) * 24 * HOUR),
    },
    certificates: { expiringWindowDays: num(f.get('cert.expiringWindowDays')), urgentDays: num(f.get('cert.urgentDays')) },
    fanOut: { maxAudiences: num(f.get('fanOut.maxAudiences')) },
    failureSpike: {
      baselineDays: num(f.get('spike.baselineDays')),
      k: num(f.get('spike.k')),
      factor: num(f.get('spike.factor')),
      minCount: num(f.get('spike.minCount')),
    },
    replay: {
      ipv4PrefixBits: num(f.get('replay.ipv4PrefixBits')),
      ipv6PrefixBits: num(f.get('replay.ipv6PrefixBits')),
      maxNetworkOrigins: num(f.get('replay.maxNetworkOrigins')),
    },
    contextStripped: { minEvents: num(f.get('contextStripped.minEvents')) },
  };
}

// Form field → the policy path(s) the server reports problems at.
const PATHS: Record<string, string[]> = {
  scopePatterns: ['privileged.scopePatterns'],
  'aud.partner': ['privileged.audiences.partner'],
  'aud.crossTenant': ['privileged.audiences.crossTenant'],
  'aud.cicd': ['privileged.audiences.cicd'],
  'aud.admin': ['privileged.audiences.admin'],
  'ttl.agentHours': ['ttl.agentSeconds'],
  'ttl.serviceHours': ['ttl.serviceSeconds'],
  'ttl.absoluteDays': ['ttl.absoluteSeconds'],
  'cert.expiringWindowDays': ['certificates.expiringWindowDays'],
  'cert.urgentDays': ['certificates.urgentDays'],
  'fanOut.maxAudiences': ['fanOut.maxAudiences'],
  'spike.baselineDays': ['failureSpike.baselineDays'],
  'spike.k': ['failureSpike.k'],
  'spike.factor': ['failureSpike.factor'],
  'spike.minCount': ['failureSpike.minCount'],
  'replay.ipv4PrefixBits': ['replay.ipv4PrefixBits'],
  'replay.ipv6PrefixBits': ['replay.ipv6PrefixBits'],
  'replay.maxNetworkOrigins': ['replay.maxNetworkOrigins'],
  'contextStripped.minEvents': ['contextStripped.minEvents'],
};

export function RiskPolicyForm({ policy, canEdit }: { policy: Policy; canEdit: boolean }) {
  // One save at a time: a second click while the rules re-evaluate sends nothing.
  const save = useSubmit(async (body: unknown) => (await api<{ evaluation: Evaluation }>('PUT', '/api/v1/risk-policy', { policy: body })).evaluation);
  const { busy, result: saved } = save;

  const errorFor = (field: string) => save.fieldErrors.filter((e) => (PATHS[field] ?? []).some((p) => e.path === p || e.path.startsWith(`${p}.`)));
  const field = (name: string, label: ReactNode, input: ReactNode, hint?: string) => {
    const errs = errorFor(name);
    return (
      <label key={name} className={errs.length ? 'invalid' : undefined}>
        {label}
        {input}
        {hint ? <span className="muted" style={{ fontSize: '0.8rem' }}>{hint}</span> : null}
        {errs.map((e) => (
          <span key={e.path + e.message} className="error" role="alert" data-testid={`policy-error-${name}`}>
            {e.message}
          </span>
        ))}
      </label>
    );
  };
  const numberInput = (name: string, value: number, step = '1') => (
    <input name={name} type="number" step={step} defaultValue={value} disabled={!canEdit} required style={{ width: '7rem' }} />
  );
  const patternsInput = (name: string, value: string[]) => (
    <textarea name={name} defaultValue={lines(value)} disabled={!canEdit} rows={Math.min(8, Math.max(3, value.length))} cols={28} spellCheck={false} className="mono" />
  );

  return (
    <form
      aria-label="Risk policy"
      data-testid="risk-policy"
      onSubmit={onFormSubmit((form) => save.run(policyFrom(new FormData(form))))}
    >
      <h3>What counts as privileged</h3>
      <p className="muted">
        A bearer token is <em>unbound high-risk</em> when a scope or an audience matches one of these patterns (one per line; <code>*</code> matches
        any run of characters, <code>\*</code> is a literal star; case-insensitive), or when it belongs to an AI agent and the box below is ticked.
      </p>
      <div className="filters" style={{ alignItems: 'flex-start' }}>
        {field('scopePatterns', 'Privileged scopes', patternsInput('scopePatterns', policy.privileged.scopePatterns))}
        {field('aud.partner', 'Partner audiences', patternsInput('aud.partner', policy.privileged.audiences.partner))}
        {field('aud.crossTenant', 'Cross-tenant audiences', patternsInput('aud.crossTenant', policy.privileged.audiences.crossTenant))}
        {field('aud.cicd', 'CI/CD audiences', patternsInput('aud.cicd', policy.privileged.audiences.cicd))}
        {field('aud.admin', 'Admin API audiences', patternsInput('aud.admin', policy.privileged.audiences.admin))}
      </div>
      <label style={{ display: 'flex', flexDirection: 'row', gap: '0.4rem', alignItems: 'center' }}>
        <input type="checkbox" name="agentsAlwaysHighRisk" defaultChecked={policy.privileged.agentsAlwaysHighRisk} disabled={!canEdit} />
        An unbound AI agent token is always high risk
      </label>

      <h3>Token lifetime (ttl_over_policy)</h3>
      <div className="filters">
        {field('ttl.agentHours', 'AI agent tokens, hours', numberInput('ttl.agentHours', policy.ttl.agentSeconds / HOUR, 'any'))}
        {field('ttl.serviceHours', 'Service tokens, hours', numberInput('ttl.serviceHours', policy.ttl.serviceSeconds / HOUR, 'any'))}
        {field('ttl.absoluteDays', 'Any token, days', numberInput('ttl.absoluteDays', policy.ttl.absoluteSeconds / 86_400, 'any'))}
      </div>

      <h3>Thresholds</h3>
      <div className="filters">
        {field('cert.expiringWindowDays', 'Certificate expiring within, days', numberInput('cert.expiringWindowDays', policy.certificates.expiringWindowDays))}
        {field('cert.urgentDays', 'Urgent within, days', numberInput('cert.urgentDays', policy.certificates.urgentDays))}
        {field('fanOut.maxAudiences', 'Fan-out: max services per token', numberInput('fanOut.maxAudiences', policy.fanOut.maxAudiences))}
        {field('replay.maxNetworkOrigins', 'Replay: max network origins', numberInput('replay.maxNetworkOrigins', policy.replay.maxNetworkOrigins))}
        {field('replay.ipv4PrefixBits', 'IPv4 origin prefix bits', numberInput('replay.ipv4PrefixBits', policy.replay.ipv4PrefixBits))}
        {field('replay.ipv6PrefixBits', 'IPv6 origin prefix bits', numberInput('replay.ipv6PrefixBits', policy.replay.ipv6PrefixBits))}
        {field('spike.baselineDays', 'Failure spike: baseline days', numberInput('spike.baselineDays', policy.failureSpike.baselineDays))}
        {field('spike.k', 'k (standard deviations)', numberInput('spike.k', policy.failureSpike.k, 'any'))}
        {field('spike.factor', '× baseline mean', numberInput('spike.factor', policy.failureSpike.factor, 'any'))}
        {field('spike.minCount', 'at least, failures', numberInput('spike.minCount', policy.failureSpike.minCount))}
        {field('contextStripped.minEvents', 'Context stripped: min events', numberInput('contextStripped.minEvents', policy.contextStripped.minEvents))}
      </div>

      {canEdit ? (
        <div className="filters">
          <button type="submit" disabled={busy}>{busy ? 'Saving and re-evaluating…' : 'Save and re-evaluate findings'}</button>
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => {
              if (window.confirm('Replace the whole policy with the defaults and re-evaluate every finding?')) void save.run({});
            }}
          >
            Reset to defaults
          </button>
        </div>
      ) : (
        <p className="muted">Only an admin can change the policy.</p>
      )}
      <SubmitError error={save.error} testId="policy-failure" />
      {saved && (
        <p role="status" data-testid="policy-saved">
          Saved. Findings re-evaluated in {Math.round(saved.durationMs)} ms: {saved.opened} opened, {saved.reopened} reopened, {saved.updated} updated,{' '}
          {saved.resolved} resolved.
        </p>
      )}
    </form>
  );
}
