// Forwarded client certificates, one table per encoding, plus hostile values. Ground truth is the
// fixture certificate's x5t#S256 computed with openssl (samples.ts) and a second CA-issued chain
// made by the real openssl here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki, type OpensslPki } from '../binding/testing/openssl.ts';
import { CERT_ESCAPED, CERT_PEM, CERT_SHA1_HEX, CERT_SHA256_HEX, CERT_X5T } from './testing/samples.ts';
import { MAX_FORWARDED_CERT_CHARS, parseForwardedCert, type ForwardedCertResult } from './forwarded-cert.ts';

const DER_B64 = CERT_PEM.replace(/-----[A-Z ]+-----|\s/g, '');
const SUBJECT = 'O=Test,CN=svc-a';
const SERIAL = '2D669E9295DE474E5CBA623A320B31675CB8D204';

function certOf(r: ForwardedCertResult | null) {
  if (r?.kind !== 'cert') throw new Error(`expected a certificate, got ${JSON.stringify(r)}`);
  return r.cert;
}

describe('parseForwardedCert: each encoding yields the certificate the client presented', () => {
  const cases: Array<[string, string, string]> = [
    ['RFC 9440 Client-Cert byte sequence', 'Client-Cert', `:${DER_B64}:`],
    ['RFC 9440 byte sequence with surrounding whitespace', 'client-cert', `  :${DER_B64}:  `],
    ['Client-Cert as bare base64 DER (Caddy {http.request.tls.client.certificate_der_base64} without the colons)', 'Client-Cert', DER_B64],
    ['NGINX $ssl_client_escaped_cert forwarded as X-SSL-Client-Cert', 'X-SSL-Client-Cert', CERT_ESCAPED],
    ['AWS ALB X-Amzn-Mtls-Clientcert (URL-encoded PEM, + and / kept)', 'X-Amzn-Mtls-Clientcert', encodeURIComponent(CERT_PEM).replace(/%2B/g, '+').replace(/%2F/g, '/').replace(/%3D/g, '=')],
    ['PEM with spaces instead of newlines (Apache RequestHeader, some proxies)', 'x-client-cert', CERT_PEM.replace(/\n/g, ' ')],
    ['PEM with tab-continued lines (NGINX $ssl_client_cert)', 'ssl-client-cert', CERT_PEM.trim().replace(/\n/g, '\n\t')],
    ['PEM with literal \\n escapes', 'x-ssl-client-cert', CERT_PEM.replace(/\n/g, '\\n')],
    ['bare base64 DER (HAProxy ssl_c_der,base64) under any header name', 'X-Client-Certificate', DER_B64],
    ['a byte sequence under a non-RFC 9440 header name', 'x-ssl-client-cert', `:${DER_B64}:`],
    ['XFCC with Cert only', 'x-forwarded-client-cert', `Cert="${CERT_ESCAPED}"`],
    ['XFCC with Hash and matching Cert', 'X-Forwarded-Client-Cert', `By=spiffe://mesh/edge;Hash=${CERT_SHA256_HEX};Cert="${CERT_ESCAPED}";Subject="${SUBJECT}";URI=spiffe://example.org/ns/prod/sa/svc-a`],
  ];
  it.each(cases)('%s', (_name, header, value) => {
    const c = certOf(parseForwardedCert(header, value));
    expect(c).toEqual({
      x5tS256: CERT_X5T,
      sha1Hex: CERT_SHA1_HEX,
      subjectDn: SUBJECT,
      issuerDn: SUBJECT,
      serial: SERIAL,
      notBefore: new Date('2026-11-22T08:44:39Z'),
      notAfter: new Date('2036-11-19T08:44:39Z'),
      verify: null,
      header: header.toLowerCase(),
    });
  });
});

describe('parseForwardedCert: XFCC elements', () => {
  it('takes the LAST element: the nearest hop appended it, earlier ones may come from the client', () => {
    const forged = `Hash=${'00'.repeat(32)};Subject="CN=forged"`;
    const c = certOf(parseForwardedCert('x-forwarded-client-cert', `${forged},By=spiffe://edge;Hash=${CERT_SHA256_HEX};Subject="${SUBJECT}"`));
    expect(c.x5tS256).toBe(CERT_X5T);
    expect(c.subjectDn).toBe(SUBJECT);
  });

  it('Hash alone gives x5t#S256 from the hex SHA-256 and no other fact', () => {
    const c = certOf(parseForwardedCert('x-forwarded-client-cert', `Hash=${CERT_SHA256_HEX.toUpperCase()}`));
    expect(c).toMatchObject({ x5tS256: CERT_X5T, sha1Hex: null, subjectDn: null, serial: null });
  });

  it('a quoted Subject with commas, semicolons, equals and an escaped quote stays one value', () => {
    const c = certOf(parseForwardedCert('x-forwarded-client-cert', `Hash=${CERT_SHA256_HEX};Subject="CN=a\\"b;c=d,O=Test";DNS=a.example;DNS=b.example`));
    expect(c.subjectDn).toBe('CN=a"b;c=d,O=Test');
  });

  it('keys are case-insensitive', () => {
    expect(certOf(parseForwardedCert('x-forwarded-client-cert', `hash=${CERT_SHA256_HEX};SUBJECT="${SUBJECT}"`)).x5tS256).toBe(CERT_X5T);
  });
});

describe('parseForwardedCert: RFC 9440 Client-Cert-Chain', () => {
  let pki: OpensslPki;
  let caPem = '';
  let caX5t = '';
  beforeAll(() => {
    pki = createPki();
    const ca = pki.makeCa('Chain CA');
    caPem = pki.read(ca.cert);
    caX5t = pki.x5tByShell(ca.cert);
  });
  afterAll(() => pki?.cleanup());

  it('reads every member of the list, in order, with parameters ignored', () => {
    const caB64 = caPem.replace(/-----[A-Z ]+-----|\s/g, '');
    const r = parseForwardedCert('Client-Cert-Chain', `:${caB64}:, :${DER_B64}:;ignored=1`);
    expect(r?.kind).toBe('chain');
    if (r?.kind !== 'chain') return;
    expect(r.chain.map((c) => c.x5tS256)).toEqual([caX5t, CERT_X5T]);
    expect(r.chain[0]?.subjectDn).toBe('CN=Chain CA');
  });

  it('a leaf of another CA under Client-Cert is read with its issuer', () => {
    const leaf = pki.makeLeaf('svc-z', { cert: `${pki.dir}/Chain CA.pem`, key: `${pki.dir}/Chain CA.key` });
    const b64 = pki.read(leaf.cert).replace(/-----[A-Z ]+-----|\s/g, '');
    const c = certOf(parseForwardedCert('client-cert', `:${b64}:`));
    expect(c.x5tS256).toBe(pki.x5tByShell(leaf.cert));
    expect(c.issuerDn).toBe('CN=Chain CA');
  });
});

describe('parseForwardedCert: nothing forwarded', () => {
  it.each([
    ['empty', ''], ['NGINX unset "-"', '-'], ['whitespace', '   '], ['JSON-escaped empty', '""'], ['null', null],
    ['a Caddy placeholder left unreplaced (no client certificate)', '{http.request.tls.client.certificate_der_base64}'],
  ])('%s → null', (_n, v) => {
    expect(parseForwardedCert('client-cert', v)).toBeNull();
  });
});

describe('parseForwardedCert: hostile and broken values are typed errors, never a certificate', () => {
  const cases: Array<[string, string, string, string]> = [
    ['byte sequence without the closing colon', 'client-cert', `:${DER_B64}`, 'malformed'],
    ['Client-Cert as bare PEM (not RFC 9440)', 'client-cert', CERT_PEM, 'malformed'],
    ['byte sequence with a non-base64 character', 'client-cert', `:${DER_B64.slice(0, 40)}*${DER_B64.slice(41)}:`, 'malformed'],
    ['byte sequence of base64url (RFC 8941 requires base64)', 'client-cert', `:${Buffer.from(DER_B64, 'base64').toString('base64url')}:`, 'malformed'],
    ['base64 that is not a certificate', 'client-cert', `:${Buffer.from('hello, I am the admin').toString('base64')}:`, 'malformed'],
    ['bare base64 that is not a certificate', 'client-cert', Buffer.from('hello, I am the admin').toString('base64'), 'malformed'],
    ['bare base64 of a truncated certificate', 'client-cert', DER_B64.slice(0, 200), 'malformed'],
    ['a placeholder with text around it', 'client-cert', 'x{http.request.tls.client.certificate_der_base64}', 'malformed'],
    ['a truncated certificate', 'x-ssl-client-cert', CERT_ESCAPED.slice(0, 400) + encodeURIComponent('\n-----END CERTIFICATE-----\n'), 'malformed'],
    ['invalid percent-encoding', 'x-ssl-client-cert', '-----BEGIN%20CERTIFICATE-----%E0%A4%A', 'malformed'],
    ['BEGIN without END', 'x-ssl-client-cert', '-----BEGIN CERTIFICATE----- MIIBxzCCAW2g', 'malformed'],
    ['a private key instead of a certificate', 'x-ssl-client-cert', '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----', 'malformed'],
    ['a JWT in the certificate header', 'x-ssl-client-cert', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.', 'malformed'],
    ['NUL and control characters', 'x-ssl-client-cert', `${DER_B64.slice(0, 20)}\u0000${DER_B64.slice(20)}`, 'malformed'],
    ['an oversized value', 'x-ssl-client-cert', 'A'.repeat(MAX_FORWARDED_CERT_CHARS + 4), 'too_large'],
    ['a chain of 11 certificates', 'client-cert-chain', Array.from({ length: 11 }, () => `:${DER_B64}:`).join(', '), 'too_large'],
    ['a chain member that is not a byte sequence', 'client-cert-chain', `:${DER_B64}:, ${DER_B64}`, 'malformed'],
    ['XFCC Hash that is not hex SHA-256', 'x-forwarded-client-cert', 'Hash=abc123', 'malformed'],
    ['XFCC Hash of one certificate with the Cert of another', 'x-forwarded-client-cert', `Hash=${'ab'.repeat(32)};Cert="${CERT_ESCAPED}"`, 'inconsistent'],
    ['XFCC with an unbalanced quote', 'x-forwarded-client-cert', `Hash=${CERT_SHA256_HEX};Subject="CN=x`, 'malformed'],
    ['XFCC pair without =', 'x-forwarded-client-cert', `Hash=${CERT_SHA256_HEX};garbage`, 'malformed'],
    ['XFCC naming no certificate (By only)', 'x-forwarded-client-cert', 'By=spiffe://edge', 'malformed'],
    ['XFCC Cert that is not a PEM', 'x-forwarded-client-cert', 'Cert="not-a-pem"', 'malformed'],
  ];
  it.each(cases)('%s → %s', (_name, header, value, code) => {
    const r = parseForwardedCert(header, value);
    expect(r).toMatchObject({ kind: 'error', code, header: header.toLowerCase() });
  });

  it('never throws on arbitrary bytes (a few thousand random values per header kind)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = ':;,="\\%-ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789+/ \n\t';
    for (const header of ['client-cert', 'client-cert-chain', 'x-forwarded-client-cert', 'x-ssl-client-cert']) {
      for (let i = 0; i < 1500; i++) {
        const len = Math.floor(rnd() * 80);
        let v = '';
        for (let j = 0; j < len; j++) v += alphabet[Math.floor(rnd() * alphabet.length)];
        const r = parseForwardedCert(header, v);
        expect(r === null || r.kind === 'error').toBe(true);
      }
    }
  });
});
