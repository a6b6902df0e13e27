// Lines that log the same certificate share one certificate object (buildCert): built once,
// redacted once, and never shared when anything logged about it differs.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildCert, redactCertNames, type LoggedCert } from './cert.ts';
import { openParseStream } from './index.ts';
import { CERT_PEM, CERT_X5T } from './testing/samples.ts';

const logged = (over: Partial<LoggedCert> = {}): LoggedCert => ({
  pem: encodeURIComponent(CERT_PEM), verify: 'SUCCESS', subjectDn: 'CN=svc-a,O=Test', issuerDn: 'CN=Test CA', serial: '2D66', sha1Hex: 'AB:CD', notBefore: 'Nov 21 08:44:39 2026 GMT', notAfter: null, ...over,
});

describe('buildCert sharing', () => {
  it('gives lines that log the same certificate and fields the same object, with the same facts', () => {
    const state = {};
    const a = buildCert(state, logged());
    // Equal strings, not the same string objects (as two parsed lines have them).
    const b = buildCert(state, logged({ subjectDn: ['CN=svc-a', 'O=Test'].join(','), pem: encodeURIComponent(CERT_PEM.slice(0)) }));
    expect(a.cert?.x5tS256).toBe(CERT_X5T);
    expect(b.cert).toBe(a.cert);
    expect(b.facts).toBe(a.facts);
    expect(a.cert).toMatchObject({ subjectDn: 'CN=svc-a,O=Test', sha1Hex: 'abcd', notBefore: new Date('2026-11-21T08:44:39Z') });
  });

  it.each([
    ['verify', { verify: 'FAILED:certificate has expired' }],
    ['subject DN', { subjectDn: 'CN=svc-b' }],
    ['issuer DN', { issuerDn: 'CN=Other CA' }],
    ['serial', { serial: '01' }],
    ['SHA-1', { sha1Hex: 'EF' }],
    ['x5t#S256', { x5tS256: 'other' }],
    ['notBefore', { notBefore: 'Nov 22 08:44:39 2026 GMT' }],
    ['notAfter', { notAfter: 'Nov 22 08:44:39 2036 GMT' }],
  ] as Array<[string, Partial<LoggedCert>]>)('builds a new object when the %s logged differs', (_name, over) => {
    const state = {};
    const a = buildCert(state, logged());
    const b = buildCert(state, logged(over));
    expect(b.cert).not.toBe(a.cert);
    expect(b.cert).toEqual(buildCert({}, logged(over)).cert);
  });

  it('shares no certificate without an x5t#S256 (the batch writer fills it in)', () => {
    const state = {};
    const line = { verify: 'SUCCESS', subjectDn: 'CN=svc-a', sha1Hex: 'ab' };
    expect(buildCert(state, line).cert).not.toBe(buildCert(state, line).cert);
  });

  it('redacts a shared certificate once, however many lines carry it', () => {
    const state = {};
    const mark = (s: string) => `${s}!`;
    const a = buildCert(state, logged()).cert!;
    redactCertNames(a, mark);
    const b = buildCert(state, logged()).cert!;
    redactCertNames(b, mark);
    expect(b).toBe(a);
    expect(a.subjectDn).toBe('CN=svc-a,O=Test!');
    expect(a.issuerDn).toBe('CN=Test CA!');
    // An unshared certificate is its line's own: redacted whenever asked.
    const own = buildCert({}, { subjectDn: 'CN=x' }).cert!;
    redactCertNames(own, mark);
    expect(own.subjectDn).toBe('CN=x!');
  });

  it('parses a log whose lines repeat a certificate into events that agree with parsing each line alone', async () => {
    const line = (i: number, dn: string) =>
      JSON.stringify({
        time: `2026-11-22T12:00:0${i}+00:00`, request_id: `${i}`.padStart(32, '0'), remote_addr: '10.0.0.1', method: 'GET', scheme: 'https', host: 'api.example', uri: `/v1/x/${i}`, status: 200,
        ssl_client_verify: 'SUCCESS', ssl_client_s_dn: dn, ssl_client_i_dn: 'CN=Test CA', ssl_client_escaped_cert: encodeURIComponent(CERT_PEM),
      });
    // A credential in a DN is redacted on every line, once.
    const dn = 'CN=svc-a,O=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl';
    const lines = [0, 1, 2].map((i) => line(i, dn));
    const parse = async (text: string) => {
      const { results } = await openParseStream(Readable.from([Buffer.from(text)]), { format: 'nginx-json' });
      const out = [];
      for await (const r of results) if (r.result.kind === 'event') out.push(r.result.event);
      return out;
    };
    const together = await parse(lines.join('\n') + '\n');
    expect(together).toHaveLength(3);
    expect(together[1]!.cert).toBe(together[0]!.cert);
    expect(together[0]!.cert!.subjectDn).not.toContain('eyJ');
    for (let i = 0; i < 3; i++) {
      const [alone] = await parse(lines[i]! + '\n');
      expect(together[i]!.cert).toEqual(alone!.cert);
      expect(together[i]!.identityHint).toBe(alone!.identityHint);
    }
  });
});
