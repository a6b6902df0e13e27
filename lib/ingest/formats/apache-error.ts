// Apache httpd 2.4 error log, for mod_ssl's client-certificate verification failures. With
// `SSLVerifyClient optional` (and `optional_no_ca`) mod_ssl aborts the handshake for a revoked or
// expired certificate (and, without optional_no_ca, an untrusted or self-signed one): no request
// reaches the access log, and these lines are the only trace of the certificate being tried.
// As apache2 2.4 writes them (seen from the real Debian apache2 in apache-real.test.ts):
//   LogLevel ssl:info (or lower):
//   [Fri Dec 04 10:22:00.700217 2026] [ssl:info] [pid 4326:tid 4334] [client 127.0.0.1:49096] AH02276: Certificate Verification: Error (23): certificate revoked [subject: CN=svc-b,O=Test / issuer: O=Test,CN=Test Client CA / serial: 1002 / notbefore: Dec  4 10:21:25 2026 GMT / notafter: Dec  4 10:21:25 2027 GMT]
//   The default LogLevel warn (no certificate details):
//   [Fri Dec 04 10:22:24.393971 2026] [ssl:error] [pid 4636:tid 4639] [client 127.0.0.1:57872] AH02039: Certificate Verification: Error (23): certificate revoked
// Each such line is one event: the gateway's verdict on the certificate, subject and serial to join
// it to a certificate (AH02276 only), no request id, no token, no HTTP status (there was no
// request). Every other error-log line is skipped.
import type { NormalizedEvent } from '../../domain/types.ts';
import { buildCert } from '../cert.ts';
import { SERVICE_LINE, SKIP, err, type LineParser, type ParseResult } from '../types.ts';
import { identityFrom } from '../auth-facts.ts';
import { newEvent, verdictFromCertVerify } from '../event.ts';
import { guard, isEmptyLine } from '../fields.ts';
import type { LogTimeZone } from '../time-zone.ts';

/** ErrorLogFormat's default head: time, module:level, pid[:tid], optional source file, optional client. */
const HEAD = /^\[([^\]]+)\] \[([\w-]*):(\w+)\] (?:\[pid \d+(?::tid \d+)?\] )?(?:\S+\(\d+\): )?(?:\[client ([^\]]+)\] )?(.*)$/;
const VERIFY = /^(AH02276|AH02039): Certificate Verification: Error \((\d+)\): ([^[]+?)(?: \[(.*)\])?$/;
const BARE_MESSAGE = /^AH\d{5}: /;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * `Fri Dec 04 10:22:00.700217 2026` (the default `%{u}t`) or `2026-12-04 10:22:00.700217` (`%{cu}t`).
 * Apache writes local time without a zone: read in the ingest's zone (`--time-zone`), else as UTC.
 */
function errorLogTime(s: string, zone: LogTimeZone | null): Date | null {
  const wall = errorLogWallTime(s);
  return wall === null ? null : new Date(zone ? zone.toUtc(wall) : wall);
}

/** The error log's wall-clock time as milliseconds read as if UTC. */
function errorLogWallTime(s: string): number | null {
  const d = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? (\d{4})$/.exec(s);
  if (d) {
    const month = MONTHS.indexOf(d[1]!);
    if (month < 0) return null;
    const ms = Number((d[6] ?? '0').slice(0, 3).padEnd(3, '0'));
    return Date.UTC(Number(d[7]), month, Number(d[2]), Number(d[3]), Number(d[4]), Number(d[5]), ms);
  }
  const c = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(s);
  if (c) {
    const ms = Number((c[7] ?? '0').slice(0, 3).padEnd(3, '0'));
    return Date.UTC(Number(c[1]), Number(c[2]) - 1, Number(c[3]), Number(c[4]), Number(c[5]), Number(c[6]), ms);
  }
  return null;
}

/** `subject: … / issuer: … / serial: … / notbefore: … / notafter: …` (a DN containing " / " would be ambiguous; keys are matched in order). */
function certDetails(s: string | undefined): Record<string, string> {
  if (!s) return {};
  const out: Record<string, string> = {};
  const re = /(subject|issuer|serial|notbefore|notafter): (.*?)(?= \/ (?:subject|issuer|serial|notbefore|notafter): |$)/g;
  for (const m of s.matchAll(re)) out[m[1]!] = m[2]!;
  return out;
}

/** `127.0.0.1:49096`, `[::1]:49096` or `::1:49096` → the address without its port. */
function clientAddress(s: string | undefined): string | null {
  if (!s) return null;
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(s);
  if (v6) return v6[1]!;
  return s.replace(/:\d+$/, '') || null;
}

function verifyEvent(text: string, time: Date, client: string | undefined, code: string, errno: string, reason: string, details: string | undefined): NormalizedEvent {
  const ev = newEvent('apache-error', time, text);
  const d = certDetails(details);
  const verify = `FAILED:${reason.trim()}`;
  const { cert } = buildCert({}, {
    verify,
    subjectDn: d.subject ?? null,
    issuerDn: d.issuer ?? null,
    serial: d.serial ? d.serial.toUpperCase() : null,
    notBefore: d.notbefore ?? null,
    notAfter: d.notafter ?? null,
  });
  ev.clientIp = clientAddress(client);
  ev.cert = cert;
  ev.sourceVerdict = verdictFromCertVerify(verify);
  ev.failureDetail = `${code} Error (${errno}): ${reason.trim()}`;
  ev.labels = { apache_message: code, openssl_error: errno, stage: 'tls_handshake' };
  ev.identityHint = identityFrom(null, cert?.subjectDn ?? null);
  return ev;
}

export const apacheErrorParser: LineParser = {
  format: 'apache-error',
  parseLine(text, ctx): ParseResult {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => {
      const h = HEAD.exec(text.trimEnd());
      // Messages httpd writes before its error log is set up, without the head (`AH00016:
      // Configuration Failed` at a failed start): about the server, not a request.
      if (!h && BARE_MESSAGE.test(text)) return SERVICE_LINE;
      if (!h) return err('unrecognized_line', 'not an Apache error-log line ([time] [module:level] …)');
      const v = VERIFY.exec(h[5]!);
      if (!v) return SERVICE_LINE;
      const time = errorLogTime(h[1]!, ctx.timeZone);
      if (!time) return err('invalid_timestamp', `unreadable error-log time: ${h[1]!.slice(0, 40)}`);
      return { kind: 'event', event: verifyEvent(text, time, h[4], v[1]!, v[2]!, v[3]!, v[4]) };
    });
  },
};
