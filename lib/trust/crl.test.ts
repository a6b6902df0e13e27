// CA certificates and CRLs made by the real openssl (and, for the CRLs openssl will not write,
// @peculiar/x509 signing with the CA's own key): what Holdfast reads from them, and every file it
// must refuse, by reason.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customCrl, derInteger, generateCrl, issueLeaf, makeCa, revokeLeaf, setRevocationTime, type TestCa, type TestLeaf } from '../testing/crl-pki.ts';
import { readCaCertificate, type CaCertificate } from './ca-certificate.ts';
import { readCrl } from './crl.ts';
import { TrustInputError, type TrustInputProblem } from './errors.ts';

let root = '';
let ec: TestCa;
let rsa: TestCa;
let impostor: TestCa;
let other: TestCa;
let noCrlSign: TestCa;
let ecCa: CaCertificate;
let revoked: TestLeaf;
let held: TestLeaf;
let good: TestLeaf;

const file = (p: string) => readFileSync(p);

async function refusal(fn: () => unknown): Promise<TrustInputProblem> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof TrustInputError) {
      expect(e.code).toBe('validation_failed');
      expect(e.message).not.toContain('\n');
      return e.why;
    }
    throw e;
  }
  throw new Error('accepted');
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'holdfast-trust-crl-'));
  ec = makeCa(root, 'ec', { subj: '/CN=Test Client CA/O=Test' });
  rsa = makeCa(root, 'rsa', { subj: '/CN=RSA Client CA/O=Test', key: 'rsa', firstSerial: '00A1B2C3D4E5F60718' });
  // Same subject as `ec`, another key: a CRL it signs claims to be ec's and is not.
  impostor = makeCa(root, 'impostor', { subj: '/CN=Test Client CA/O=Test' });
  other = makeCa(root, 'other', { subj: '/CN=Other CA/O=Elsewhere' });
  noCrlSign = makeCa(root, 'nocrlsign', { subj: '/CN=Cert-only CA/O=Test', crlSign: false });
  revoked = issueLeaf(ec, 'revoked', '/O=Test/CN=svc-b');
  held = issueLeaf(ec, 'held', '/O=Test/CN=svc-h');
  good = issueLeaf(ec, 'good', '/O=Test/CN=svc-a');
  revokeLeaf(ec, revoked, 'keyCompromise');
  revokeLeaf(ec, held, 'certificateHold');
  setRevocationTime(ec, revoked.serialHex, new Date('2026-11-30T08:00:00Z'));
  ecCa = readCaCertificate(file(ec.certPath));
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('readCaCertificate', () => {
  it('reads a CA in PEM: DNs in RFC 2253 order as openssl prints them, x5t#S256 as STANDARDS.md computes it', () => {
    const x5t = execFileSync('sh', ['-c', `openssl x509 -in '${ec.certPath}' -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d '='`]).toString().trim();
    expect(ecCa).toMatchObject({ subjectDn: ec.subject, issuerDn: ec.subject, x5tS256: x5t });
    expect(ecCa.subjectDn).toBe('O=Test,CN=Test Client CA');
    expect(ecCa.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
    expect(ecCa.notAfter.getTime()).toBeGreaterThan(Date.now());
  });

  it('reads the same CA in DER', () => {
    const der = execFileSync('openssl', ['x509', '-in', ec.certPath, '-outform', 'DER']);
    expect(readCaCertificate(der)).toMatchObject({ x5tS256: ecCa.x5tS256, subjectDn: ecCa.subjectDn });
  });

  it('keeps only the certificate when the file has comments or text around it', () => {
    const text = `Bag Attributes: friendlyName: ca\nsubject=${ec.subject}\n${readFileSync(ec.certPath, 'utf8')}\n`;
    expect(readCaCertificate(Buffer.from(text)).pem).toBe(ecCa.pem);
  });

  it.each<[string, TrustInputProblem, () => Buffer]>([
    ['a leaf certificate', 'not_a_ca', () => file(good.certPath)],
    ['a CA certificate with its private key in the same file', 'private_key', () => Buffer.concat([file(ec.certPath), file(ec.keyPath)])],
    ['a private key alone', 'private_key', () => file(ec.keyPath)],
    ['a bundle of two CAs', 'several_objects', () => Buffer.concat([file(ec.certPath), file(other.certPath)])],
    ['a CRL given as the CA', 'wrong_pem_label', () => file(generateCrl(ec, 'as-ca'))],
    ['an empty file', 'empty', () => Buffer.alloc(0)],
    ['text that is not PEM', 'not_der_or_pem', () => Buffer.from('hello, I am not a certificate\n')],
    ['DER that is not a certificate', 'not_a_certificate', () => Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05])],
    ['a PEM block with a broken body', 'not_a_certificate', () => Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')],
  ])('refuses %s: %s', async (_name, why, input) => {
    expect(await refusal(() => readCaCertificate(input()))).toBe(why);
  });
});

describe('readCrl', () => {
  it('reads an `openssl ca -gencrl` CRL (PEM, X509 CRL label): number, dates, entries with their reasons and revocation times', async () => {
    const crl = await readCrl(file(generateCrl(ec, 'pem')), ecCa);
    expect(crl.number).toBeGreaterThanOrEqual(1n);
    expect(crl.nextUpdate!.getTime() - crl.thisUpdate.getTime()).toBe(30 * 86_400_000);
    expect(crl.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(crl.entries.sort((a, b) => a.serial.localeCompare(b.serial))).toEqual([
      { serial: revoked.serialHex, revocationDate: new Date('2026-11-30T08:00:00Z'), reason: 'keyCompromise' },
      { serial: held.serialHex, revocationDate: expect.any(Date), reason: 'certificateHold' },
    ]);
  });

  it('reads the DER form and an RSA CA whose serials carry a sign byte', async () => {
    const rsaCa = readCaCertificate(file(rsa.certPath));
    const leaf = issueLeaf(rsa, 'leaf', '/O=Test/CN=svc-r');
    revokeLeaf(rsa, leaf, 'superseded');
    expect(leaf.serialHex).toBe('A1B2C3D4E5F60718');
    const crl = await readCrl(file(generateCrl(rsa, 'der', { der: true })), rsaCa);
    expect(crl.entries).toEqual([{ serial: 'A1B2C3D4E5F60718', revocationDate: expect.any(Date), reason: 'superseded' }]);
  });

  it('reads the `BEGIN CRL` label @peculiar/x509 writes, and a CRL without entries or reason codes', async () => {
    const der = await customCrl(ec, { entries: [{ serialHex: '0abc' }], extensions: [{ oid: '2.5.29.20', critical: false, der: derInteger(77) }] });
    const pem = `-----BEGIN CRL-----\n${der.toString('base64')}\n-----END CRL-----\n`;
    const crl = await readCrl(Buffer.from(pem), ecCa);
    expect(crl.number).toBe(77n);
    expect(crl.entries).toEqual([{ serial: 'ABC', revocationDate: expect.any(Date), reason: null }]);
    expect((await readCrl(await customCrl(ec, {}), ecCa)).entries).toEqual([]);
  });

  it('drops removeFromCRL entries (they un-list a serial)', async () => {
    const der = await customCrl(ec, {
      entries: [
        { serialHex: '01', reason: 8 },
        { serialHex: '02', revocationDate: new Date('2026-11-01T00:00:00Z'), reason: 4 },
      ],
    });
    expect((await readCrl(der, ecCa)).entries).toEqual([{ serial: '2', revocationDate: new Date('2026-11-01T00:00:00Z'), reason: 'superseded' }]);
  });

  it.each<[string, TrustInputProblem, () => Promise<Buffer> | Buffer, () => CaCertificate]>([
    ['a CRL signed by another key under the same CA name', 'crl_signature', () => file(generateCrl(impostor, 'forged')), () => ecCa],
    ['a CRL of another CA', 'crl_issuer_mismatch', () => file(generateCrl(other, 'other')), () => ecCa],
    ['a CRL naming this CA as issuer, signed by another', 'crl_signature', () => customCrl(other, { issuerFrom: ec }), () => ecCa],
    ['a CRL from a CA whose key usage lacks cRLSign', 'ca_cannot_sign_crls', () => customCrl(noCrlSign, {}), () => readCaCertificate(file(noCrlSign.certPath))],
    ['a delta CRL', 'delta_crl', () => customCrl(ec, { extensions: [{ oid: '2.5.29.27', critical: true, der: derInteger(1) }] }), () => ecCa],
    ['an indirect CRL (an entry names another certificate issuer)', 'indirect_crl', () => customCrl(ec, { entries: [{ serialHex: '10', extensions: [{ oid: '2.5.29.29', critical: true, der: Buffer.from([0x30, 0x00]) }] }] }), () => ecCa],
    ['an unknown critical CRL extension', 'unknown_critical_extension', () => customCrl(ec, { extensions: [{ oid: '1.3.6.1.4.1.99999.1', critical: true, der: Buffer.from([0x05, 0x00]) }] }), () => ecCa],
    ['a certificate given as the CRL', 'wrong_pem_label', () => file(ec.certPath), () => ecCa],
    ['a CRL file with a private key in it', 'private_key', () => Buffer.concat([file(generateCrl(ec, 'with-key')), file(ec.keyPath)]), () => ecCa],
    ['two CRLs in one file', 'several_objects', () => Buffer.concat([file(generateCrl(ec, 'one')), file(generateCrl(ec, 'two'))]), () => ecCa],
    ['DER that is not a CRL', 'not_a_crl', () => Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]), () => ecCa],
    ['an empty file', 'empty', () => Buffer.alloc(0), () => ecCa],
  ])('refuses %s: %s', async (_name, why, input, ca) => {
    const bytes = await input();
    expect(await refusal(() => readCrl(bytes, ca()))).toBe(why);
  });

  it('a CRL whose signature bytes were altered does not verify', async () => {
    const der = Buffer.from(await customCrl(ec, { entries: [{ serialHex: '99' }] }));
    // The last byte of the ECDSA signature's s value: still well-formed, no longer valid.
    der.writeUInt8(der.readUInt8(der.length - 1) ^ 0x01, der.length - 1);
    expect(await refusal(() => readCrl(der, ecCa))).toBe('crl_signature');
  });
});
