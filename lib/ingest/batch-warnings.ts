// What a batch's lines could not tell, said once per batch (the ingest summary's warnings), not
// once per line: a log that never shows a token, or forwarded certificates that did not decode.
import { derOf } from '../credentials/certificate.ts';
import type { NormalizedEvent } from '../domain/types.ts';
import { CHAIN_NOT_LOGGED, FORWARDED_ORIGIN_LABEL, FORWARDED_ORIGIN_SURPLUS } from './forwarded-origin.ts';

/** Counts the lines of one batch that need a warning; pure. */
export class BatchWarnings {
  private events = 0;
  private redactedAuthorization = 0;
  private readonly undecodedCert = new Map<string, { lines: number; first: string }>();
  private originIgnored = 0;
  private originIgnoredFirst = '';
  private originSurplus = 0;
  private originSurplusFirst = '';
  /** Surplus lines that log no X-Forwarded-For: only their TCP peer was counted as a trusted proxy. */
  private originSurplusOneHop = 0;
  /** Lines whose own hop took a client certificate it did not verify and logged only its facts, not its bytes. */
  private unverifiedWithoutBytes = 0;

  /** Notes one parsed event (labels set by the format parsers). */
  note(ev: NormalizedEvent): void {
    this.events++;
    const c = ev.cert;
    if (c && c.verify === null && (c.subjectDn || c.serial || c.x5tS256 || c.sha1Hex) && !derOf(c)) this.unverifiedWithoutBytes++;
    const labels = ev.labels;
    if (!labels) return;
    // Caddy logs Authorization as an empty array unless its server option log_credentials is on.
    if (labels.authorization === 'redacted by caddy') this.redactedAuthorization++;
    const ignored = labels[FORWARDED_ORIGIN_LABEL];
    if (ignored?.startsWith(FORWARDED_ORIGIN_SURPLUS)) {
      if (this.originSurplus++ === 0) this.originSurplusFirst = ignored.slice(FORWARDED_ORIGIN_SURPLUS.length).trim();
      if (ignored.endsWith(`(${CHAIN_NOT_LOGGED})`)) this.originSurplusOneHop++;
    } else if (ignored && this.originIgnored++ === 0) this.originIgnoredFirst = ignored;
    for (const [k, v] of Object.entries(labels)) {
      if (!k.startsWith('forwarded_cert_error.')) continue;
      const header = k.slice('forwarded_cert_error.'.length);
      const seen = this.undecodedCert.get(header);
      if (seen) seen.lines++;
      else this.undecodedCert.set(header, { lines: 1, first: v });
    }
  }

  /**
   * One sentence per condition met, in a stable order; empty when the batch needs none.
   * `trustAnchors`: the batch judges certificates against configured trust anchors.
   */
  warnings(o: { trustAnchors?: boolean } = {}): string[] {
    const out: string[] = [];
    if (o.trustAnchors && this.unverifiedWithoutBytes > 0) {
      const n = this.unverifiedWithoutBytes;
      out.push(
        `${n} line${n === 1 ? '' : 's'} carried a client certificate the gateway logged no verification of, by its facts only (such as Caddy's CN and serial), not the certificate itself: ` +
          'the trust anchors cannot judge who issued it (an issuer name is no proof, a signature needs the certificate). ' +
          'Log the certificate where it is forwarded (a Client-Cert header at the backend) to have it checked.',
      );
    }
    if (this.redactedAuthorization > 0) {
      out.push(
        `${this.redactedAuthorization} of ${this.events} requests logged an empty Authorization header (Caddy redacts it unless log_credentials is on): ` +
          'no token was seen on them, so their binding is unknown (ok / binding_unknown) — they raise no finding and a simulation cannot say whether a requirement would break them. ' +
          'Holdfast needs the token (hashed on read) or its SHA-256 logged at a hop that sees it: see the Caddy notes of the Ingest page.',
      );
    }
    for (const [header, { lines, first }] of this.undecodedCert) {
      out.push(
        `${lines} line${lines === 1 ? '' : 's'} carried a ${header} header that is not a certificate Holdfast can decode (${first}): ` +
          'read as no forwarded certificate; check what the proxy in front sends in it.',
      );
    }
    if (this.originIgnored > 0) {
      const n = this.originIgnored;
      out.push(
        `${n} line${n === 1 ? '' : 's'} carried forwarding headers (Forwarded, X-Forwarded-Proto/-Host) that were ${this.originIgnoredFirst.replace(/^not used: /, 'not used (first: ')}): ` +
          "their URL is the backend's own, so a DPoP proof made for the URL the client called reads htu — a client that sends them straight to the backend, bypassing the edge, is not believed.",
      );
    }
    if (this.originSurplus > 0) {
      const n = this.originSurplus;
      const oneHop = this.originSurplusOneHop;
      out.push(
        `${n} line${n === 1 ? '' : 's'} carried forwarding headers with more values than their trusted proxies add (first: ${this.originSurplusFirst}): ` +
          'the value the outermost trusted proxy added gave the URL, not a client\'s value on its left; an edge should replace these headers, not append to them (gateway configs on the Ingest page).' +
          (oneHop > 0
            ? ` ${oneHop === n ? (n === 1 ? 'It logs' : 'They log') : `${oneHop} of them log`} no X-Forwarded-For, so only the TCP peer was counted as a trusted proxy: behind several trusted proxies in a row, log X-Forwarded-For ($http_x_forwarded_for) so that each is counted and the outermost one's value is read.`
            : ''),
      );
    }
    return out;
  }
}
