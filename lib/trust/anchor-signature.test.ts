// judgeAgainstAnchors checks who signed a certificate whose line carried it whole: an issuer name is
// no proof. Real openssl certificates: the anchor CA, an attacker's CA with the anchor's subject DN
// and its own key, and a leaf of each; read as the ingest parsers read them (NGINX escaped PEM, a
// forwarded RFC 9440 Client-Cert), and by facts only (no bytes: not judgeable).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pemToDer } from '../credentials/certificate.ts';
import type { NormalizedEvent, Verdict } from '../domain/types.ts';
import { buildCert } from '../ingest/cert.ts';
import { newEvent } from '../ingest/event.ts';
import { parseForwardedCert } from '../ingest/forwarded-cert.ts';
import { buildRevocationIndex, judgeAgainstAnchors, judgeAgainstCrls, type RevocationIndex, type SignatureChecks } from './revocation-index.ts';

const ok = { verdict: 'ok' as Verdict, reason: null };

describe('judgeAgainstAnchors: the signature of a certificate that names an anchor as its issuer', () => {
  let dir = '';
  const pem: Record<'ca' | 'genuine' | 'forged', string> = { ca: '', genuine: '', forged: '' };
  let index: RevocationIndex;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-anchor-sig-'));
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    for (const ca of ['ca', 'forged-ca']) ossl('req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '30', '-subj', '/CN=Acme Client CA/O=Acme');
    for (const [leaf, ca] of [['genuine', 'ca'], ['forged', 'forged-ca']] as const) {
      ossl('req', ...ec, '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', '/O=Acme/CN=svc-a');
      ossl('x509', '-req', '-in', `${leaf}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${leaf}.crt`, '-days', '30');
    }
    for (const k of ['ca', 'genuine', 'forged'] as const) pem[k] = readFileSync(join(dir, `${k}.crt`), 'utf8');
    index = buildRevocationIndex([{ anchorId: 'acme', subjectDn: 'O=Acme,CN=Acme Client CA', revocations: [], der: pemToDer(pem.ca) }]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** An NGINX line that logged `$ssl_client_escaped_cert` and no verification of its own (optional_no_ca). */
  function nginxLine(p: string): NormalizedEvent {
    const ev = newEvent('nginx-json', new Date(), '{}');
    ev.cert = buildCert({}, { pem: encodeURIComponent(p), verify: null }).cert;
    return ev;
  }

  /** A backend line with the certificate forwarded in RFC 9440 Client-Cert. */
  function forwardedLine(p: string): NormalizedEvent {
    const ev = newEvent('nginx-json', new Date(), '{}');
    const r = parseForwardedCert('Client-Cert', `:${pemToDer(p)!.toString('base64')}:`);
    if (r?.kind !== 'cert') throw new Error('not parsed');
    ev.forwardedCert = r.cert;
    return ev;
  }

  it('both leaves name the anchor as issuer: the name alone cannot tell them apart', () => {
    expect(nginxLine(pem.forged).cert?.issuerDn).toBe(nginxLine(pem.genuine).cert?.issuerDn);
    expect(nginxLine(pem.forged).cert?.issuerDn).toBe('O=Acme,CN=Acme Client CA');
  });

  it.each([['NGINX escaped PEM', nginxLine], ['forwarded Client-Cert', forwardedLine]] as const)('%s: the genuine leaf stands, the forged one is cert_untrusted/signature_not_by_anchor', (_name, line) => {
    expect(judgeAgainstAnchors(index, line(pem.genuine), ok)).toEqual(ok);
    expect(judgeAgainstAnchors(index, line(pem.forged), ok)).toEqual({ verdict: 'cert_untrusted', reason: 'signature_not_by_anchor' });
  });

  it('a forwarded certificate the batch writer took into ev.cert (a copy without its bytes) is checked with the forwarded one\'s bytes', () => {
    const ev = forwardedLine(pem.forged);
    const { header: _h, ...copy } = ev.forwardedCert!;
    ev.cert = { ...copy, verify: null };
    expect(judgeAgainstAnchors(index, ev, ok)).toEqual({ verdict: 'cert_untrusted', reason: 'signature_not_by_anchor' });
  });

  it('one check per certificate: the outcome is kept by x5t#S256', () => {
    const checks: SignatureChecks = new Map();
    for (let i = 0; i < 3; i++) {
      judgeAgainstAnchors(index, nginxLine(pem.forged), ok, checks);
      judgeAgainstAnchors(index, forwardedLine(pem.genuine), ok, checks);
    }
    expect([...checks.entries()].sort()).toEqual([
      [nginxLine(pem.forged).cert!.x5tS256, false],
      [nginxLine(pem.genuine).cert!.x5tS256, true],
    ].sort());
  });

  it('a line with the certificate\'s facts only (no bytes: Caddy\'s own log, DN fields) cannot be judged by signature', () => {
    const ev = newEvent('caddy', new Date(), '{}');
    ev.cert = buildCert({}, { subjectDn: 'O=Acme,CN=svc-a', issuerDn: 'O=Acme,CN=Acme Client CA', serial: '1234', verify: null }).cert;
    expect(judgeAgainstAnchors(index, ev, ok)).toEqual(ok);
  });

  it('an anchor of the same name with a second key (re-keyed CA): a leaf either key signed stands', () => {
    const both = buildRevocationIndex([
      { anchorId: 'acme', subjectDn: 'O=Acme,CN=Acme Client CA', revocations: [], der: pemToDer(pem.ca) },
      { anchorId: 'acme-2', subjectDn: 'CN=Acme Client CA,O=Acme', revocations: [], der: pemToDer(readFileSync(join(dir, 'forged-ca.crt'), 'utf8')) },
    ]);
    expect(judgeAgainstAnchors(both, nginxLine(pem.forged), ok)).toEqual(ok);
  });

  it.each([['NGINX escaped PEM', nginxLine], ['forwarded Client-Cert', forwardedLine]] as const)('%s: a CRL entry for a serial revokes the certificate the anchor signed, not a forgery with that serial', (_name, line) => {
    const serialOf = (p: string) => nginxLine(p).cert!.serial!;
    const revoked = (serial: string) => buildRevocationIndex([{
      anchorId: 'acme', subjectDn: 'O=Acme,CN=Acme Client CA', der: pemToDer(pem.ca),
      revocations: [{ serial: serial.replace(/^0+/, '').toUpperCase(), revocationDate: new Date(Date.now() - 60_000), reason: 'keyCompromise' }],
    }]);
    const forged = line(pem.forged);
    const crl = judgeAgainstCrls(revoked(serialOf(pem.forged)), forged, ok, new Map());
    expect(crl).toEqual(ok);
    expect(judgeAgainstAnchors(revoked(serialOf(pem.forged)), forged, crl)).toEqual({ verdict: 'cert_untrusted', reason: 'signature_not_by_anchor' });
    expect(judgeAgainstCrls(revoked(serialOf(pem.genuine)), line(pem.genuine), ok)).toEqual({ verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' });
  });

  it('the certificate bytes travel out of sight: JSON and spreads of the line carry the facts only', () => {
    const ev = nginxLine(pem.genuine);
    expect(JSON.stringify(ev.cert)).not.toContain('MII');
    expect(Object.keys(ev.cert!).sort()).toEqual(['issuerDn', 'notAfter', 'notBefore', 'serial', 'sha1Hex', 'subjectDn', 'verify', 'x5tS256']);
  });
});
