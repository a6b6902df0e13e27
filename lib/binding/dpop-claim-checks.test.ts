import { describe, expect, it } from 'vitest';
import { checkAth, checkHtm, checkHtu, checkIat, checkJkt, checkNonce, checkScheme } from './dpop-claim-checks.ts';

const NOW = 1_700_000_000_000;
const CFG = { maxAgeSeconds: 300, futureSkewSeconds: 5 };

describe('checkHtm', () => {
  it.each([
    ['GET', 'GET', true],
    ['GET', 'get', true],
    ['get', 'GET', false],
    ['POST', 'GET', false],
  ])('htm %s vs request %s → ok %s', (htm, method, ok) => {
    expect(checkHtm(htm, method).ok).toBe(ok);
  });
  it('is skipped when the method is unknown', () => {
    expect(checkHtm('GET', null)).toMatchObject({ ok: true, skipped: true });
  });
});

describe('checkHtu', () => {
  it.each([
    ['https://a.example/x', 'https://A.EXAMPLE:443/x?q=1', true],
    ['https://a.example/x', 'https://a.example/y', false],
    ['https://a.example/~u', 'https://a.example/%7Eu', true],
    ['https://a.example/x', '/x', true],
    ['https://a.example/x', '/y', false],
    ['https://a.example/x', 'http://a.example/x', false],
    ['https://a.example/x', 'https://a.example:8443/x', false],
    // The log names no port (NGINX `$host`): any port of the same scheme, host and path.
    ['https://127.0.0.1:18401/api/dp', 'https://127.0.0.1/api/dp', true],
    ['https://[::1]:8443/x', 'https://[::1]/x', true],
    ['https://a.example:8443/x', 'https://b.example/x', false],
    ['https://a.example:8443/x', 'https://a.example/y', false],
    ['http://a.example:8443/x', 'https://a.example/x', false],
    // The log names a port: it must be the proof's.
    ['https://a.example:8443/x', 'https://a.example:9443/x', false],
  ])('normalised proof htu %s vs request %s → ok %s', (proofHtu, url, ok) => {
    expect(checkHtu(proofHtu, url).ok).toBe(ok);
  });
  it('fails when the proof htu is not an http(s) URI', () => {
    expect(checkHtu(null, 'https://a/')).toMatchObject({ ok: false });
  });
});

describe('checkNonce', () => {
  it.each([
    [undefined, undefined, true],
    ['n1', 'n1', true],
    [undefined, 'n1', false],
    ['n0', 'n1', false],
  ])('proof nonce %s vs server %s → ok %s', (proofNonce, expected, ok) => {
    expect(checkNonce(proofNonce, expected).ok).toBe(ok);
  });
});

describe('checkIat (window 300 s, future skew 5 s)', () => {
  it.each([
    ['0 s old', 0, true],
    ['300 s old', -300, true],
    ['301 s old', -301, false],
    ['5 s in the future', 5, true],
    ['6 s in the future', 6, false],
  ])('accepts or rejects a proof %s', (_n, offset, ok) => {
    expect(checkIat(NOW / 1000 + offset, NOW, CFG).ok).toBe(ok);
  });
});

describe('checkAth / checkJkt / checkScheme', () => {
  it('ath must equal the token hash when a token came with the proof', () => {
    expect(checkAth('h', 'h').ok).toBe(true);
    expect(checkAth(undefined, 'h')).toMatchObject({ ok: false, detail: 'proof has no ath but came with an access token' });
    expect(checkAth('x', 'h').ok).toBe(false);
    expect(checkAth('x', null)).toMatchObject({ ok: true, skipped: true });
  });
  it('jkt must equal cnf.jkt when the token is DPoP-bound', () => {
    expect(checkJkt('a', 'a').ok).toBe(true);
    expect(checkJkt('a', 'b').ok).toBe(false);
    expect(checkJkt('a', null)).toMatchObject({ ok: true, skipped: true });
  });
  it.each([
    ['Bearer', true, false],
    ['bearer', true, false],
    ['DPoP', true, true],
  ])('scheme %s for a DPoP-bound token → ok %s', (scheme, bound, ok) => {
    expect(checkScheme(scheme, bound)?.ok).toBe(ok);
  });
  it('does not judge the scheme of a token not known to be DPoP-bound', () => {
    expect(checkScheme('Bearer', false)).toBeNull();
  });
});
