import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DPOP_NONCE_WINDOW_SECONDS, isCurrentDpopNonce, issueDpopNonce, proofNonceClaim } from './dpop-nonce.ts';

const key = randomBytes(32);
const W = DPOP_NONCE_WINDOW_SECONDS * 1000;
const t0 = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('DPoP nonces (RFC 9449 §8), stateless', () => {
  it('accepts a nonce in its window and the next, not later, not earlier', () => {
    const n = issueDpopNonce(key, t0);
    expect(isCurrentDpopNonce(key, n, t0)).toBe(true);
    expect(isCurrentDpopNonce(key, n, t0 + W)).toBe(true);
    expect(isCurrentDpopNonce(key, n, t0 + 2 * W)).toBe(false);
    // Made for a window that has not come yet: refused (a client cannot mint future nonces anyway).
    expect(isCurrentDpopNonce(key, issueDpopNonce(key, t0 + W), t0)).toBe(false);
    expect(issueDpopNonce(key, t0 + W)).not.toBe(n);
  });

  it('any instance with the same secret key checks it; another key, a changed window or MAC, or junk does not pass', () => {
    const n = issueDpopNonce(key, t0);
    expect(isCurrentDpopNonce(Buffer.from(key), n, t0)).toBe(true);
    expect(isCurrentDpopNonce(randomBytes(32), n, t0)).toBe(false);
    const [w, mac] = n.split('.') as [string, string];
    const later = (parseInt(w, 36) + 1).toString(36);
    expect(isCurrentDpopNonce(key, `${later}.${mac}`, t0 + W)).toBe(false);
    const flipped = mac.slice(0, -1) + (mac.endsWith('A') ? 'B' : 'A');
    expect(isCurrentDpopNonce(key, `${w}.${flipped}`, t0)).toBe(false);
    for (const junk of [undefined, null, 42, '', 'x', `${w}.`, `${n}.x`, 'a'.repeat(100)]) expect(isCurrentDpopNonce(key, junk, t0)).toBe(false);
  });

  it('reads the nonce claim of a proof without trusting it', () => {
    const payload = Buffer.from(JSON.stringify({ jti: 'j', nonce: 'n-1' })).toString('base64url');
    expect(proofNonceClaim(`h.${payload}.s`)).toBe('n-1');
    expect(proofNonceClaim('h.!!!.s')).toBeUndefined();
    expect(proofNonceClaim('nodots')).toBeUndefined();
  });
});
