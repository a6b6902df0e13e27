import { describe, expect, it } from 'vitest';
import { at, brief, HOUR, runRule, snapshot, token, usage } from '../testing/facts.ts';
import type { EstateSnapshot } from '../snapshot.ts';
import { boundNotEnforced } from './bound-not-enforced.ts';

const mtls = token({ binding: 'mtls', cnfX5tS256: 'x5t-A', certificateId: 'cert-1' });
const notEnforced = usage({ verdictCounts: { ok: 5, bound_not_enforced: 3 }, notEnforcedAt: ['legacy-gw'] });

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags an mTLS-bound token that legacy-gw accepted 3 times without the certificate',
    snap: snapshot({ tokens: [mtls], tokenUsage: [notEnforced] }),
    expected: [{ dedupeKey: 'bound_not_enforced:token:tok-1', severity: 'high' }],
  },
  {
    name: 'flags a privileged DPoP-bound token accepted without proof as critical',
    snap: snapshot({ tokens: [token({ binding: 'dpop', cnfJkt: 'jkt-1', scopes: ['admin'] })], tokenUsage: [notEnforced] }),
    expected: [{ dedupeKey: 'bound_not_enforced:token:tok-1', severity: 'critical' }],
  },
  {
    name: 'does not flag a bound token whose events were all verified (verdict ok)',
    snap: snapshot({ tokens: [mtls], tokenUsage: [usage({ verdictCounts: { ok: 8 } })] }),
    expected: [],
  },
  {
    name: 'does not flag a bound token rejected for a binding mismatch (the gateway enforced it)',
    snap: snapshot({ tokens: [mtls], tokenUsage: [usage({ verdictCounts: { binding_mismatch: 2 } })] }),
    expected: [],
  },
  {
    name: 'does not flag an expired bound token even if it was once accepted without proof',
    snap: snapshot({ tokens: [{ ...mtls, expiresAt: at(-HOUR) }], tokenUsage: [notEnforced] }),
    expected: [],
  },
  {
    name: 'does not flag a bearer token (nothing to enforce)',
    snap: snapshot({ tokens: [token()], tokenUsage: [notEnforced] }),
    expected: [],
  },
];

describe('bound_not_enforced', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(boundNotEnforced, snap).map(brief)).toEqual(expected);
  });

  it('names the gateway in the recommendation', () => {
    const [d] = runRule(boundNotEnforced, snapshot({ tokens: [mtls], tokenUsage: [notEnforced] }));
    expect(d?.recommendation).toContain('legacy-gw');
    expect(d?.evidence.gateways).toEqual(['legacy-gw']);
  });

  it('counts requests, not the lines of their hops: 7 requests each logged at the edge and the backend (BB1 R9)', () => {
    const twoHops = usage({ verdictCounts: { bound_not_enforced: 13 }, notEnforcedRequests: 7, notEnforcedAt: ['hap-backend', 'ngx-edge-rec'] });
    const [d] = runRule(boundNotEnforced, snapshot({ tokens: [mtls], tokenUsage: [twoHops] }));
    expect(d?.explanation).toContain('hap-backend and ngx-edge-rec let it through 7 times');
    expect(d?.evidence.events).toBe(7);
  });
});
