// apache-error: mod_ssl's certificate verification failures in Apache's error log, the only trace
// of a certificate refused in the handshake. Lines as the real apache2 2.4 wrote them.
import { describe, expect, it } from 'vitest';
import { detectFormat } from './detect.ts';
import { PARSERS } from './registry.ts';
import { createParseContext, type ParseResult } from './types.ts';

const parse = (line: string): ParseResult => PARSERS['apache-error'].parseLine(line, createParseContext());

const AH02276 = '[Fri Dec 04 10:22:00.700217 2026] [ssl:info] [pid 4326:tid 4334] [client 127.0.0.1:49096] AH02276: Certificate Verification: Error (23): certificate revoked [subject: CN=svc-b,O=Test / issuer: O=Test,CN=Test Client CA / serial: 1002 / notbefore: Dec  4 10:21:25 2026 GMT / notafter: Dec  4 10:21:25 2027 GMT]';
const AH02039 = '[Fri Dec 04 10:22:24.581841 2026] [ssl:error] [pid 4636:tid 4640] [client 127.0.0.1:57882] AH02039: Certificate Verification: Error (10): certificate has expired';

describe('apache-error', () => {
  it('AH02276 (LogLevel ssl:info): the verdict, and subject, issuer, serial and dates to join it to a certificate', () => {
    const r = parse(AH02276);
    expect(r).toMatchObject({
      kind: 'event',
      event: {
        format: 'apache-error', requestId: null, httpStatus: null, tokenFingerprint: null, authScheme: null, clientIp: '127.0.0.1',
        cert: { subjectDn: 'CN=svc-b,O=Test', issuerDn: 'O=Test,CN=Test Client CA', serial: '1002', verify: 'FAILED:certificate revoked' },
        sourceVerdict: { verdict: 'cert_revoked', reason: 'certificate revoked' },
        failureDetail: 'AH02276 Error (23): certificate revoked',
        identityHint: 'CN=svc-b,O=Test',
      },
    });
    const e = (r as { event: { occurredAt: Date; cert: { notAfter: Date } } }).event;
    expect(e.occurredAt.toISOString()).toBe('2026-12-04T10:22:00.700Z');
    expect(e.cert.notAfter.toISOString()).toBe('2027-12-04T10:21:25.000Z');
  });

  it.each([
    ['expired (10)', AH02039, 'cert_expired'],
    ['untrusted (20)', AH02039.replace('(10): certificate has expired', '(20): unable to get local issuer certificate'), 'cert_untrusted'],
    ['self-signed (18)', AH02039.replace('(10): certificate has expired', '(18): self-signed certificate'), 'cert_untrusted'],
  ])('AH02039 (default LogLevel): %s, without certificate details', (_n, line, verdict) => {
    expect(parse(line)).toMatchObject({ kind: 'event', event: { cert: { subjectDn: null, serial: null }, sourceVerdict: { verdict } } });
  });

  it.each([
    '[Fri Dec 04 10:22:00.700374 2026] [ssl:info] [pid 4326:tid 4334] [client 127.0.0.1:49096] AH02008: SSL library error 1 in handshake (server localhost:18443)',
    '[Fri Dec 04 10:22:00.700389 2026] [ssl:info] [pid 4326:tid 4334] SSL Library Error: error:0A000086:SSL routines::certificate verify failed',
    '[Fri Dec 04 10:22:01.614262 2026] [ssl:info] [pid 4326:tid 4349] [client 127.0.0.1:41924] AH02009: SSL client authentication failed, accepting certificate based on "SSLVerifyClient optional_no_ca" configuration',
    '[Fri Dec 04 10:21:58.921069 2026] [ssl:warn] [pid 4326:tid 4326] AH01873: Init: Session Cache is not configured [hint: SSLSessionCache]',
    '[Fri Dec 04 10:22:22.785368 2026] [core:warn] [pid 4636:tid 4636] AH00098: pid file /tmp/httpd.pid overwritten -- Unclean shutdown of previous Apache run?',
    // Written by httpd 2.4 without the head when it fails to start (seen in a real error.log).
    'AH00016: Configuration Failed',
    '',
  ])('other error-log lines are skipped: %s', (line) => {
    expect(parse(line)).toEqual(line === '' ? { kind: 'skip' } : { kind: 'skip', reason: 'service_line' });
  });

  it.each([
    ['not an error-log line', '127.0.0.1 - - [04/Dec/2026:10:22:00 +0000] "GET / HTTP/1.1" 200 3', 'unrecognized_line'],
    ['an unreadable time', AH02039.replace('Fri Dec 04 10:22:24.581841 2026', 'yesterday'), 'invalid_timestamp'],
  ])('%s is rejected', (_n, line, reason) => {
    expect(parse(line)).toMatchObject({ kind: 'error', reason });
  });

  it('ErrorLogFormat %{cu}t times and IPv6 clients', () => {
    const line = '[2026-12-04 10:22:24.581841] [ssl:error] [pid 4636] [client ::1:57882] AH02039: Certificate Verification: Error (23): certificate revoked';
    expect(parse(line)).toMatchObject({ kind: 'event', event: { clientIp: '::1', occurredAt: new Date('2026-12-04T10:22:24.581Z') } });
  });

  it('is detected from the first lines of an error log', () => {
    expect(detectFormat(['[Fri Dec 04 10:21:58.870130 2026] [ssl:warn] [pid 4326:tid 4326] AH01882: Init: …', AH02276, AH02039])).toBe('apache-error');
  });
});
