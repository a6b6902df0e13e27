// Property tests: every parser, fed random strings/bytes/JSON, either returns or throws a
// BindingError — never a TypeError, a SyntaxError or a library's own error.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki, type OpensslPki } from './testing/openssl.ts';
import { decodeBase64url, isCanonicalBase64url } from './base64url.ts';
import { classifyFingerprint, parseCertificate, parseX5tS256, thumbprintCert, x5tS256FromHexSha256 } from './certificate-thumbprint.ts';
import { classifyToken, decodeJwt } from './classify-token.ts';
import { BindingError } from './errors.ts';
import { computeJwkThumbprint, thumbprintJwk } from './jwk-thumbprint.ts';
import { normalizeHtu, normalizeHtuPath } from './normalize-htu.ts';
import { MemoryReplayStore } from './replay-store.ts';
import { verifyDpopProof } from './verify-dpop-proof.ts';
import { verifyMtlsBinding } from './verify-mtls-binding.ts';
import { verifyDpopRequest, verifyMtlsRequest } from './verify-request.ts';

const RUNS = { numRuns: 300 };

function onlyBindingErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof BindingError) return true;
    throw e;
  }
}

async function onlyBindingErrorsAsync(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (e) {
    if (e instanceof BindingError) return true;
    throw e;
  }
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v) ?? 'null').toString('base64url');
// JWT-shaped strings with random JSON inside, which reach far deeper than random text.
const jwtLike = fc
  .tuple(fc.oneof(fc.jsonValue(), fc.record({ typ: fc.constantFrom('dpop+jwt', 'JWT'), alg: fc.constantFrom('ES256', 'none', 'HS256', 'RS256', 'x'), jwk: fc.jsonValue() })), fc.jsonValue(), fc.uint8Array({ maxLength: 80 }))
  .map(([h, p, s]) => `${b64(h)}.${b64(p)}.${Buffer.from(s).toString('base64url')}`);
const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), jwtLike);

describe('parsers never throw anything but BindingError', () => {
  it('decodeBase64url(random string)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => onlyBindingErrors(() => decodeBase64url(s))), RUNS);
  });

  it('decodeBase64url accepts exactly the canonical strings and round-trips them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const s = Buffer.from(bytes).toString('base64url');
        expect(isCanonicalBase64url(s)).toBe(true);
        expect(Buffer.compare(decodeBase64url(s), Buffer.from(bytes))).toBe(0);
      }),
      RUNS,
    );
  });

  it('thumbprintJwk(random string) and computeJwkThumbprint(random JSON)', () => {
    fc.assert(fc.property(anyString, (s) => onlyBindingErrors(() => thumbprintJwk(s))), RUNS);
    fc.assert(fc.property(fc.anything(), (v) => onlyBindingErrors(() => computeJwkThumbprint(v))), RUNS);
    fc.assert(
      fc.property(fc.record({ kty: fc.constantFrom('EC', 'RSA', 'OKP', 'oct', 'x'), crv: fc.string(), x: fc.string(), y: fc.string(), n: fc.string(), e: fc.string(), k: fc.string() }, { requiredKeys: ['kty'] }), (jwk) =>
        onlyBindingErrors(() => computeJwkThumbprint(jwk)),
      ),
      RUNS,
    );
  });

  it('parseCertificate / thumbprintCert(random string or bytes)', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string().map((s) => `-----BEGIN CERTIFICATE-----\n${s}\n-----END CERTIFICATE-----`), fc.string().map((s) => `-----BEGIN%20CERTIFICATE-----%0A${s}`)), (s) => onlyBindingErrors(() => thumbprintCert(s))), RUNS);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => onlyBindingErrors(() => parseCertificate(b))), RUNS);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => onlyBindingErrors(() => thumbprintCert(Uint8Array.from([0x30, ...b])))), RUNS);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyBindingErrors(() => parseCertificate(Uint8Array.from([0x30, 0x82, ...b])))), RUNS);
  });

  it('fingerprint parsers (random string)', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f:]{0,100}$/)), (s) => onlyBindingErrors(() => classifyFingerprint(s))), RUNS);
    fc.assert(fc.property(fc.string(), (s) => onlyBindingErrors(() => parseX5tS256(s))), RUNS);
    fc.assert(fc.property(fc.string(), (s) => onlyBindingErrors(() => x5tS256FromHexSha256(s))), RUNS);
  });

  it('normalizeHtu / normalizeHtuPath (random string and random URLs)', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.webUrl({ withQueryParameters: true, withFragments: true })), (s) => onlyBindingErrors(() => normalizeHtu(s))), RUNS);
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string().map((s) => '/' + s)), (s) => onlyBindingErrors(() => normalizeHtuPath(s))), RUNS);
  });

  it('normalizeHtu is idempotent on web URLs', () => {
    fc.assert(fc.property(fc.webUrl(), (u) => {
      const once = normalizeHtu(u);
      expect(normalizeHtu(once)).toBe(once);
    }), RUNS);
  });

  it('decodeJwt(random string)', () => {
    fc.assert(fc.property(anyString, (s) => onlyBindingErrors(() => decodeJwt(s))), RUNS);
  });

  it('classifyToken(random jwt / introspection / inventory input)', async () => {
    await fc.assert(fc.asyncProperty(anyString, (token) => onlyBindingErrorsAsync(() => classifyToken({ kind: 'jwt', token }))), RUNS);
    await fc.assert(fc.asyncProperty(fc.anything(), (response) => onlyBindingErrorsAsync(() => classifyToken({ kind: 'introspection', response }))), RUNS);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), fc.record({ active: fc.boolean(), cnf: fc.anything(), exp: fc.anything(), iat: fc.anything(), scope: fc.anything(), aud: fc.anything() })), (response) =>
        onlyBindingErrorsAsync(() => classifyToken({ kind: 'introspection', response })),
      ),
      RUNS,
    );
    await fc.assert(fc.asyncProperty(fc.anything(), (row) => onlyBindingErrorsAsync(() => classifyToken({ kind: 'inventory', row }))), RUNS);
    await fc.assert(fc.asyncProperty(fc.anything(), (src) => onlyBindingErrorsAsync(() => classifyToken(src as never))), RUNS);
  });

  it('verifyDpopProof(random proof) never throws and always answers with a reason', async () => {
    await fc.assert(
      fc.asyncProperty(anyString, fc.option(fc.string()), fc.option(fc.string()), async (proof, method, url) => {
        const r = await verifyDpopProof({ proof, method, url, accessToken: 't', expectedJkt: null }, { replayStore: new MemoryReplayStore() });
        expect(r.ok).toBe(false);
        expect(r.reason).not.toBeNull();
      }),
      RUNS,
    );
  });

  it('verifyDpopRequest / verifyMtlsRequest (random input)', async () => {
    await fc.assert(fc.asyncProperty(anyString, fc.string(), fc.string(), fc.option(anyString), (proof, method, url, token) =>
      onlyBindingErrorsAsync(() => verifyDpopRequest({ proof, method, url, token }, { replayStore: new MemoryReplayStore() }))), RUNS);
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string(), fc.uint8Array()), fc.option(anyString), fc.option(fc.string()), (cert, token, x5t) =>
      onlyBindingErrorsAsync(() => verifyMtlsRequest({ cert, token, x5t }))), RUNS);
  });

  it('verifyMtlsBinding(random fingerprint / cert / CA bundle / CRL) never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.option(fc.string()), fc.option(fc.string()), fc.option(fc.array(fc.oneof(fc.string(), fc.uint8Array()), { maxLength: 2 })), async (fingerprint, expected, caBundlePem, crls) => {
        const r = await verifyMtlsBinding({ presented: { fingerprint }, expectedX5tS256: expected, caBundlePem, crls });
        expect(typeof r.ok).toBe('boolean');
      }),
      RUNS,
    );
  });

  describe('with a real certificate', () => {
    let pki: OpensslPki;
    let pem: string;
    beforeAll(() => {
      pki = createPki();
      pem = pki.read(pki.makeLeaf('prop-leaf', pki.makeCa('prop-ca')).cert);
    });
    afterAll(() => pki.cleanup());

    it('verifyMtlsBinding(real cert, random CA bundle, random CRLs, random cnf) never throws', async () => {
      const pemish = fc.string().map((x) => `-----BEGIN CERTIFICATE-----\n${x}\n-----END CERTIFICATE-----`);
      const crlish = fc.oneof(fc.string(), fc.uint8Array({ maxLength: 300 }), fc.string().map((x) => `-----BEGIN X509 CRL-----\n${x}\n-----END X509 CRL-----`));
      await fc.assert(
        fc.asyncProperty(fc.option(fc.string()), fc.option(fc.oneof(fc.string(), pemish)), fc.option(fc.array(crlish, { maxLength: 2 })), async (expected, caBundlePem, crls) => {
          const r = await verifyMtlsBinding({ presented: { cert: pem }, expectedX5tS256: expected, caBundlePem, crls });
          expect(typeof r.ok).toBe('boolean');
        }),
        { numRuns: 150 },
      );
    });
  });
});
