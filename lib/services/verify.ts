// "Verify a request" (CONTRACT.md `verify dpop`, `verify mtls`; POST /api/v1/verify/*; the Verify
// page): one place that validates the input, runs the pure binding engine and shapes the answer,
// so the CLI (local or --server) and the API print the same thing. No replay store: an analyst
// re-checking a captured proof is not a replay. Neither the token nor the proof is ever echoed;
// the answer names the token only by its SHA-256 fingerprint.
import { z } from 'zod';
import { isBindingError, verifyDpopRequest, verifyMtlsRequest } from '../binding/index.ts';
import { HoldfastError } from '../errors.ts';

/** Request bodies are small: a proof, a token and a certificate fit well inside this. */
export const VERIFY_MAX_BODY_BYTES = 64 * 1024;

const text = (max: number) => z.string().min(1).max(max);
const optionalText = (max: number) => z.string().max(max).nullish().transform((v) => (v ? v : null));
const unixSeconds = z.number().finite().min(0).max(1e11).nullish().transform((v) => v ?? null);

export const verifyDpopBody = z.object({
  proof: text(16 * 1024),
  method: text(32).regex(/^[A-Za-z]+$/, 'method must be an HTTP method such as GET or POST'),
  url: text(4096),
  token: optionalText(16 * 1024),
  jkt: optionalText(128),
  nonce: optionalText(1024),
  /** Verify as of this time, in seconds since the epoch (the RFC examples verify at their own iat). */
  now: unixSeconds,
});
export type VerifyDpopBody = z.input<typeof verifyDpopBody>;

export const verifyMtlsBody = z
  .object({
    /** PEM, URL-encoded PEM (NGINX $ssl_client_escaped_cert), or a logged fingerprint (Envoy hex SHA-256, x5t#S256, NGINX hex SHA-1). */
    cert: optionalText(32 * 1024),
    /** A logged fingerprint, when that is all the gateway kept. */
    fingerprint: optionalText(128),
    token: optionalText(16 * 1024),
    x5t: optionalText(128),
    now: unixSeconds,
  })
  .refine((b) => (b.cert ? 1 : 0) + (b.fingerprint ? 1 : 0) === 1, { message: 'give exactly one of cert (PEM) or fingerprint', path: ['cert'] });
export type VerifyMtlsBody = z.input<typeof verifyMtlsBody>;

const check = z.object({ name: z.string(), ok: z.boolean(), detail: z.string(), skipped: z.boolean().optional() });

const unchecked = z.object({ name: z.string(), detail: z.string() });

/** The answer of `verify dpop` (CONTRACT.md fields first; the rest are additions). */
export const dpopVerdictOut = z.object({
  ok: z.boolean(),
  reason: z.string().nullable(),
  jkt: z.string(),
  checks: z.array(check),
  /**
   * The verdict in one line, naming what was not checked ("Verified, but not checked: jti
   * replay …"): a pass with checks skipped is not a full verification.
   */
  verdict: z.string(),
  /** Checks that were not run, and why; empty when every check ran. */
  notChecked: z.array(unchecked),
  explanation: z.string(),
  rfcError: z.string().nullable(),
  tokenFingerprint: z.string().nullable(),
  tokenBinding: z.string().nullable(),
});
export type DpopVerdict = z.infer<typeof dpopVerdictOut>;

/** The answer of `verify mtls` (CONTRACT.md fields first; the rest are additions). */
export const mtlsVerdictOut = z.object({
  ok: z.boolean(),
  reason: z.string().nullable(),
  x5tS256: z.string(),
  checks: z.array(check),
  verdict: z.string(),
  notChecked: z.array(unchecked),
  explanation: z.string(),
  tokenFingerprint: z.string().nullable(),
  tokenBinding: z.string().nullable(),
});
export type MtlsVerdict = z.infer<typeof mtlsVerdictOut>;

/** What a skipped check leaves open, in words (the check's own detail says why it was skipped). */
const LEFT_OPEN: Record<string, string> = {
  jti: 'jti replay — the same proof sent again would also pass',
  nonce: 'server nonce — a proof made earlier for this URL would also pass',
  ath: 'ath — the proof is not tied to a particular access token',
  jkt: 'key binding — the proof key is not compared with a token’s cnf',
  token_bound: 'token binding — the certificate is not compared with a token’s cnf',
  htm: 'htm — the request method',
};

/**
 * The verdict line and the checks not run. A pass with skipped checks says "Verified, but not
 * checked: …" so nobody reads it as a full verification; a failure names its reason first.
 */
export function describeVerdict(v: { ok: boolean; reason: string | null; checks: readonly { name: string; ok: boolean; detail: string; skipped?: boolean }[] }, what: string): {
  verdict: string;
  notChecked: { name: string; detail: string }[];
} {
  const notChecked = v.checks.filter((c) => c.skipped).map((c) => ({ name: c.name, detail: c.detail }));
  const open = notChecked.map((c) => `${LEFT_OPEN[c.name] ?? c.name} (${c.detail})`);
  if (!v.ok) return { verdict: `✗ ${what} fails: ${v.reason ?? 'failed'}${open.length ? `; also not checked: ${notChecked.map((c) => c.name).join(', ')}` : ''}`, notChecked };
  if (!open.length) return { verdict: `✓ ${what} verified: every check ran`, notChecked };
  return { verdict: `✓ ${what} verified, but not checked: ${open.join('; ')}`, notChecked };
}

/** The verdict fields added to an answer; the explanation of a pass also names what was not checked. */
function withNotChecked<T extends { ok: boolean; reason: string | null; explanation: string; checks: readonly { name: string; ok: boolean; detail: string; skipped?: boolean }[] }>(r: T, what: string) {
  const d = describeVerdict(r, what);
  const explanation = r.ok && d.notChecked.length ? `${r.explanation} Not checked: ${d.notChecked.map((c) => LEFT_OPEN[c.name] ?? c.name).join('; ')}.` : r.explanation;
  return { ...r, ...d, explanation };
}

// Bad input the engine refuses (an unreadable expected thumbprint, a non-canonical x5t, …)
// is the caller's mistake: 422 at the HTTP edge, exit 2 in the CLI. Never a 500.
async function asInputError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isBindingError(e)) throw new HoldfastError('validation_failed', e.message);
    throw e;
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const where = first?.path.length ? `${first.path.join('.')}: ` : '';
  throw new HoldfastError('validation_failed', `${where}${first?.message ?? 'invalid input'}`, {
    errors: r.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

export async function verifyDpop(input: VerifyDpopBody): Promise<DpopVerdict> {
  const b = parse(verifyDpopBody, input);
  const r = await asInputError(() =>
    verifyDpopRequest({ proof: b.proof, method: b.method, url: b.url, token: b.token, jkt: b.jkt, nonce: b.nonce, nowSeconds: b.now }),
  );
  return dpopVerdictOut.parse(withNotChecked(r, 'DPoP proof'));
}

const FINGERPRINT = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){19}|[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){31}|[A-Za-z0-9_-]{43})$/;

export async function verifyMtls(input: VerifyMtlsBody): Promise<MtlsVerdict> {
  const b = parse(verifyMtlsBody, input);
  // One paste box takes a certificate or a fingerprint: a lone hex digest (or x5t#S256) is a fingerprint.
  const certText = b.cert?.trim() ?? null;
  const fingerprint = b.fingerprint ?? (certText && FINGERPRINT.test(certText) ? certText : null);
  const r = await asInputError(() =>
    verifyMtlsRequest(fingerprint ? { fingerprint, token: b.token, x5t: b.x5t, nowSeconds: b.now } : { cert: certText, token: b.token, x5t: b.x5t, nowSeconds: b.now }),
  );
  return mtlsVerdictOut.parse(withNotChecked(r, 'certificate binding'));
}
