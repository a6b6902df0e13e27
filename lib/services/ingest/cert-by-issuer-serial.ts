// Joins an event that names its client certificate only by issuer and serial (Apache's error log:
// mod_ssl's AH02276 carries subject, issuer and serial, never a thumbprint) to the certificate
// Holdfast already knows from an access log or an inventory. Serials are unique per issuer only,
// so both must agree; the serial compares in one spelling (hex, upper case, no leading zeros or
// colons) and the issuer DN whatever spelling and RDN order it was logged in (lib/hops dnKey: RFC 2253
// escapes, a log's \xHH bytes and plain UTF-8 decode to one string). A match gives
// the event the certificate's x5t#S256, so the verdict, the evidence row and the identity are the
// certificate's; no match, or more than one certificate, leaves the event as it was.
import { dnKey, normalizeSerial } from '../../hops/index.ts';
import type { NormalizedEvent } from '../../domain/types.ts';
import type { SqlExecutor } from '../../db/bulk.ts';

type KnownCert = { id: string; identityId: string | null };

export interface CertByIssuerSerialState {
  exec: SqlExecutor;
  /** The batch's certificates by x5t#S256; a match is added so later lookups find it. */
  certsByX5t: Map<string, KnownCert>;
}

/** The serial as the SQL below spells it (ltrim leaves '' for zero: the same on both sides). */
const serialKey = (serial: string) => normalizeSerial(serial).replace(/^0+/, '');

// Per batch (the state object): issuer/serial key → x5t#S256 or null (none, or ambiguous).
const resolved = new WeakMap<object, Map<string, string | null>>();

/** The events of a chunk that name a certificate by issuer and serial only. */
function joinable(ev: NormalizedEvent): ev is NormalizedEvent & { cert: NonNullable<NormalizedEvent['cert']> & { issuerDn: string; serial: string } } {
  const c = ev.cert;
  return !!c && !c.x5tS256 && !c.sha1Hex && !!c.issuerDn && !!c.serial && serialKey(c.serial) !== '';
}

/**
 * Gives each event that names its certificate only by issuer and serial the x5t#S256 of the one
 * stored certificate with that issuer and serial (and subject, where both carry one).
 */
export async function resolveCertsByIssuerSerial(st: CertByIssuerSerialState, events: Iterable<{ ev: NormalizedEvent }>): Promise<void> {
  let cache = resolved.get(st);
  if (!cache) resolved.set(st, (cache = new Map()));
  const todo = [...events].map((p) => p.ev).filter(joinable);
  if (!todo.length) return;
  const keyOf = (c: { issuerDn: string; serial: string; subjectDn: string | null }) => JSON.stringify([dnKey(c.issuerDn), serialKey(c.serial), c.subjectDn ? dnKey(c.subjectDn) : null]);
  const missing = new Set(todo.filter((ev) => !cache.has(keyOf(ev.cert))).map((ev) => serialKey(ev.cert.serial)));
  if (missing.size) {
    if (cache.size > 50_000) cache.clear();
    // The serial column holds what each source logged (NGINX `1002`, a PEM's `01002`, HAProxy
    // `10:02`): compared in the normalized spelling.
    const { rows } = await st.exec(
      `SELECT id::text AS id, "x5tS256", "issuerDn", "subjectDn", serial, "identityId"::text AS "identityId" FROM "Certificate"
        WHERE serial IS NOT NULL AND "issuerDn" IS NOT NULL AND ltrim(upper(translate(serial, ': ', '')), '0') = ANY($1::text[])`,
      [[...missing]],
    );
    const certs = rows as Array<{ id: string; x5tS256: string; issuerDn: string; subjectDn: string | null; serial: string; identityId: string | null }>;
    for (const ev of todo) {
      const key = keyOf(ev.cert);
      if (cache.has(key)) continue;
      const [issuer, serial, subject] = [dnKey(ev.cert.issuerDn), serialKey(ev.cert.serial), ev.cert.subjectDn ? dnKey(ev.cert.subjectDn) : null];
      // An issuer DN that parses as none names no certificate.
      const hits = issuer === null ? [] : certs.filter((c) => serialKey(c.serial) === serial && dnKey(c.issuerDn) === issuer && (!subject || !c.subjectDn || dnKey(c.subjectDn) === subject));
      cache.set(key, hits.length === 1 ? hits[0]!.x5tS256 : null);
      if (hits.length === 1) st.certsByX5t.set(hits[0]!.x5tS256, { id: hits[0]!.id, identityId: hits[0]!.identityId });
    }
  }
  for (const ev of todo) {
    const x5t = cache.get(keyOf(ev.cert));
    // The batch's x5t#S256 lookup that follows finds the certificate if its cache no longer holds it.
    if (x5t) ev.cert.x5tS256 = x5t;
  }
}
