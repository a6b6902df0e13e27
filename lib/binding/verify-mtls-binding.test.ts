import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki, type OpensslPki } from './testing/openssl.ts';
import { verifyMtlsBinding } from './verify-mtls-binding.ts';

describe('RFC 8705 certificate binding', () => {
  let pki: OpensslPki;
  let ca: { cert: string; key: string };
  let caPem: string;
  let leafPem: string;
  let leafX5t: string;
  let otherLeafPem: string;
  let strangerPem: string;
  let revokedPem: string;
  let crlPem: string;
  let foreignCrlPem: string;

  beforeAll(() => {
    pki = createPki();
    ca = pki.makeCa('mtls-ca');
    caPem = pki.read(ca.cert);
    const leaf = pki.makeLeaf('svc-a', ca);
    leafPem = pki.read(leaf.cert);
    leafX5t = pki.x5tByShell(leaf.cert);
    otherLeafPem = pki.read(pki.makeLeaf('svc-b', ca).cert);
    const revoked = pki.makeLeaf('svc-revoked', ca);
    revokedPem = pki.read(revoked.cert);
    crlPem = pki.read(pki.revokeAndGenCrl(ca, revoked.cert));
    const stranger = pki.makeCa('stranger-ca');
    strangerPem = pki.read(pki.makeLeaf('svc-stranger', stranger).cert);
    foreignCrlPem = pki.read(pki.revokeAndGenCrl(stranger, null));
  });
  afterAll(() => pki.cleanup());

  it('accepts the certificate the token is bound to, with chain and CRL checks', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: leafPem }, expectedX5tS256: leafX5t, caBundlePem: caPem, crls: [crlPem] });
    expect(r.reason).toBeNull();
    expect(r.x5tS256).toBe(leafX5t);
    expect(r.checks.map((c) => [c.name, c.ok])).toEqual([
      ['certificate', true], ['cnf', true], ['not_before', true], ['not_after', true], ['chain', true], ['revocation', true],
    ]);
  });

  it('rejects another certificate from the same CA with x5t_mismatch', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: otherLeafPem }, expectedX5tS256: leafX5t });
    expect(r.reason).toBe('x5t_mismatch');
  });

  it('rejects a certificate 31 days after issue (30-day cert) with cert_expired', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: leafPem }, expectedX5tS256: leafX5t }, { now: () => Date.now() + 31 * 86400_000 });
    expect(r.reason).toBe('cert_expired');
  });

  it('rejects a certificate before its notBefore with cert_not_yet_valid', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: leafPem } }, { now: () => Date.now() - 86400_000 });
    expect(r.reason).toBe('cert_not_yet_valid');
  });

  it('rejects a certificate from an unconfigured CA with cert_untrusted', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: strangerPem }, caBundlePem: caPem });
    expect(r.reason).toBe('cert_untrusted');
  });

  it('rejects a certificate on its issuer\'s openssl-made CRL with cert_revoked', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: revokedPem }, caBundlePem: caPem, crls: [crlPem] });
    expect(r.reason).toBe('cert_revoked');
    expect(r.checks.find((c) => c.name === 'revocation')?.detail).toMatch(/revoked on/);
  });

  it('reports revocation_unknown when no configured CRL is signed by the issuer', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: leafPem }, caBundlePem: caPem, crls: [foreignCrlPem] });
    expect(r.reason).toBe('revocation_unknown');
    expect(r.checks.find((c) => c.name === 'revocation_status')?.detail).toMatch(/no configured CRL is signed/);
  });

  it('reports revocation_unknown when the issuer\'s CRL is past its nextUpdate (31 days later)', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: leafPem }, caBundlePem: caPem, crls: [crlPem] }, { now: () => Date.now() + 31 * 86400_000 });
    expect(r.checks.find((c) => c.name === 'revocation_status')?.detail).toMatch(/out of date/);
  });

  it('reports revocation_unknown for a CRL whose issuer is not in the CA bundle', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: leafPem }, crls: [crlPem] });
    expect(r.reason).toBe('revocation_unknown');
  });

  it('accepts the Envoy hex SHA-256 of the bound certificate', async () => {
    const hex = createHash('sha256').update(new X509Certificate(leafPem).raw).digest('hex');
    const r = await verifyMtlsBinding({ presented: { fingerprint: hex }, expectedX5tS256: leafX5t });
    expect(r.ok).toBe(true);
  });

  it('reports an NGINX SHA-1 fingerprint as fingerprint_not_comparable, not as a match or mismatch', async () => {
    const sha1 = createHash('sha1').update(new X509Certificate(leafPem).raw).digest('hex');
    const r = await verifyMtlsBinding({ presented: { fingerprint: sha1 }, expectedX5tS256: leafX5t });
    expect(r.reason).toBe('fingerprint_not_comparable');
    expect(r.x5tS256).toBeNull();
  });

  it('rejects an unreadable certificate with malformed_certificate', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: 'nope' } });
    expect(r.reason).toBe('malformed_certificate');
  });

  it('treats a non-canonical cnf x5t#S256 (the RFC 8705 example) as not matching', async () => {
    const r = await verifyMtlsBinding({ presented: { cert: leafPem }, expectedX5tS256: 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' });
    expect(r.reason).toBe('x5t_mismatch');
    expect(r.checks.find((c) => c.name === 'cnf')?.detail).toMatch(/canonical/);
  });
});
