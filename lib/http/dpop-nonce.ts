// Server-provided DPoP nonces (RFC 9449 §8) for DPoP-bound API keys, without shared state: a
// nonce names a time window and carries an HMAC of it under a key derived from
// HOLDFAST_SECRET_KEY, so every instance can issue and check them. A proof must carry a nonce
// of the current or the previous window, which bounds how far ahead a proof can be made: one
// signed by a key that was briefly stolen stops working within two windows, whatever iat it
// claims (iat is the client's word; the nonce is the server's).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Length of a nonce window; a nonce is accepted for one to two windows. */
export const DPOP_NONCE_WINDOW_SECONDS = 300;

const macKey = (secretKey: Buffer) => createHmac('sha256', secretKey).update('holdfast dpop-nonce key v1').digest();
const macOf = (secretKey: Buffer, window: number) => createHmac('sha256', macKey(secretKey)).update(`dpop-nonce\n${window}`).digest().subarray(0, 18);
const windowAt = (nowMs: number) => Math.floor(nowMs / 1000 / DPOP_NONCE_WINDOW_SECONDS);

/** The nonce of the window `nowMs` falls in (what a 401 use_dpop_nonce hands out). */
export function issueDpopNonce(secretKey: Buffer, nowMs: number): string {
  const w = windowAt(nowMs);
  return `${w.toString(36)}.${macOf(secretKey, w).toString('base64url')}`;
}

/** True for a nonce this server issued in the current or the previous window. */
export function isCurrentDpopNonce(secretKey: Buffer, nonce: unknown, nowMs: number): boolean {
  if (typeof nonce !== 'string' || nonce.length > 64) return false;
  const m = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{24})$/.exec(nonce);
  if (!m) return false;
  const w = parseInt(m[1]!, 36);
  const now = windowAt(nowMs);
  if (w !== now && w !== now - 1) return false;
  const given = Buffer.from(m[2]!, 'base64url');
  const want = macOf(secretKey, w);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The `nonce` claim of a proof, read without verifying it (the verifier checks it after). */
export function proofNonceClaim(proof: string): unknown {
  const payload = proof.split('.')[1];
  if (!payload || payload.length > 8192) return undefined;
  try {
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { nonce?: unknown }).nonce;
  } catch {
    return undefined;
  }
}
