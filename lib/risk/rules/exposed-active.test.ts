import { describe, expect, it } from 'vitest';
import { at, brief, HOUR, runRule, snapshot, token } from '../testing/facts.ts';
import type { EstateSnapshot, ExposureFacts } from '../snapshot.ts';
import { exposedActive } from './exposed-active.ts';

const hit: ExposureFacts = { tokenId: 'tok-1', scanner: 'gitleaks', location: 'deploy/values.yaml:12', commit: 'abc123', foundAt: at(-HOUR) };
const key = 'exposed_active:token:tok-1';

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags a leaked bearer token that is still active as critical',
    snap: snapshot({ tokens: [token({ exposure: 'exposed' })], exposures: [hit] }),
    expected: [{ dedupeKey: key, severity: 'critical' }],
  },
  {
    name: 'flags a leaked DPoP-bound token that is still active as high',
    snap: snapshot({ tokens: [token({ exposure: 'exposed', binding: 'dpop', cnfJkt: 'jkt-A' })], exposures: [hit] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'does not flag a leaked token that was revoked',
    snap: snapshot({ tokens: [token({ exposure: 'exposed', status: 'revoked', revokedAt: at(-HOUR) })], exposures: [hit] }),
    expected: [],
  },
  {
    name: 'does not flag a leaked token that has expired',
    snap: snapshot({ tokens: [token({ exposure: 'exposed', expiresAt: at(-1000) })], exposures: [hit] }),
    expected: [],
  },
  {
    name: 'does not flag an active token no scanner found',
    snap: snapshot({ tokens: [token()] }),
    expected: [],
  },
];

describe('exposed_active', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(exposedActive, snap).map(brief)).toEqual(expected);
  });

  it('names the scanner and the location', () => {
    const [d] = runRule(exposedActive, snapshot({ tokens: [token({ exposure: 'exposed' })], exposures: [hit] }));
    expect(d?.explanation).toContain('gitleaks found this token in deploy/values.yaml:12');
  });
});
