import { describe, expect, it } from 'vitest';
import { at, brief, certificate, DAY, HOUR, runRule, snapshot, token } from '../testing/facts.ts';
import type { EstateSnapshot } from '../snapshot.ts';
import { certExpiring } from './cert-expiring.ts';

const bound = token({ binding: 'mtls', cnfX5tS256: 'x5t-A', certificateId: 'cert-1' });
const key = 'cert_expiring:certificate:cert-1';

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags a certificate expiring in 10 days with an active bound token (medium)',
    snap: snapshot({ certificates: [certificate({ notAfter: at(10 * DAY) })], tokens: [bound] }),
    expected: [{ dedupeKey: key, severity: 'medium' }],
  },
  {
    name: 'flags a certificate expiring in 2 days as high (inside urgentDays)',
    snap: snapshot({ certificates: [certificate({ notAfter: at(2 * DAY) })], tokens: [bound] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'flags an expired certificate that still has an active token bound by cnf x5t#S256 (high)',
    snap: snapshot({ certificates: [certificate({ notAfter: at(-DAY) })], tokens: [{ ...bound, certificateId: null }] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'does not flag a certificate expiring in 30 days (outside the 14-day window)',
    snap: snapshot({ certificates: [certificate({ notAfter: at(30 * DAY) })], tokens: [bound] }),
    expected: [],
  },
  {
    name: 'does not flag a certificate expiring in 10 days with no bound tokens',
    snap: snapshot({ certificates: [certificate({ notAfter: at(10 * DAY) })] }),
    expected: [],
  },
  {
    name: 'does not flag an expiring certificate whose bound token is revoked',
    snap: snapshot({ certificates: [certificate({ notAfter: at(10 * DAY) })], tokens: [{ ...bound, status: 'revoked', revokedAt: at(-HOUR) }] }),
    expected: [],
  },
  {
    name: 'does not flag a revoked certificate (revocation findings live elsewhere)',
    snap: snapshot({ certificates: [certificate({ notAfter: at(2 * DAY), status: 'revoked' })], tokens: [bound] }),
    expected: [],
  },
];

describe('cert_expiring', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(certExpiring, snap).map(brief)).toEqual(expected);
  });

  it('says "expires in 10 days"', () => {
    const [d] = runRule(certExpiring, cases[0]!.snap);
    expect(d?.title).toContain('expires in 10 days');
  });
});
