// The review of one request against the trust anchors' CRLs, as a pure function of an index built
// once per snapshot (lib/services/trust/review.ts loads it).
//
// Rule: a request whose gateway ACCEPTED it (verdict ok, bearer_unbound or bound_not_enforced —
// one that refused a revoked certificate is cert_revoked already) and whose client certificate
// is on its CA's current CRL, revoked at or before the request, becomes cert_revoked_unchecked:
// the gateway checks no CRL (Caddy), or an old one (Envoy, EMQX and others load CRLs at start).
// A certificate revoked after the request was good when it was used, so that request stands.
//
// Which CA issued the certificate, strongest first:
//  1. the issuer DN the source logged matches an anchor's subject DN (lib/credentials/distinguished-name.ts);
//  2. its x5t#S256 is a certificate Holdfast already knows (issuer and serial from an earlier
//     log that carried the whole certificate) and that certificate is revoked;
//  3. the source logs no issuer at all (Caddy: CN and serial only) and exactly one anchor's CRL
//     lists the serial. Weaker — serials are unique per CA, not across CAs — so the reason says
//     `crl_serial_only:` and an analyst sees the match rests on the serial.
// A logged issuer that is not an anchor never falls back to the serial: that CA is not judged.
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import type { NormalizedEvent, Verdict } from '../domain/types.ts';
import type { CrlRevocation } from './crl.ts';
import { derOf } from '../credentials/certificate.ts';
import { dnKey } from '../credentials/distinguished-name.ts';
import { normalizeSerial } from './serial.ts';

/** An anchor's identity and its current CRL's revocations. */
export interface AnchorRevocations {
  anchorId: string;
  subjectDn: string;
  revocations: readonly CrlRevocation[];
  /** The anchor's own certificate (DER): its public key checks the signature of certificates naming it as their issuer. */
  der?: Uint8Array | null;
}

/** A certificate Holdfast knows by x5t#S256, with the issuer and serial it was seen with. */
export interface KnownCertificate {
  x5tS256: string;
  issuerDn: string | null;
  serial: string | null;
}

interface Hit {
  anchorId: string;
  revocation: CrlRevocation;
}

export interface RevocationIndex {
  /** dnKey → anchor ids with that subject (a re-keyed CA keeps its name). */
  readonly anchorsByDn: ReadonlyMap<string, readonly string[]>;
  /** `${dnKey}\n${serial}` → revocation. */
  readonly byIssuerSerial: ReadonlyMap<string, Hit>;
  /** serial → the one anchor whose CRL lists it, or null when CRLs of different CAs do. */
  readonly bySerialOnly: ReadonlyMap<string, Hit | null>;
  /** x5t#S256 of known certificates that are revoked. */
  readonly byX5t: ReadonlyMap<string, Hit>;
  /** Logged DN → key: a batch repeats the same few issuer DNs. */
  readonly dnKeys: Map<string, string | null>;
  /** dnKey → the public keys of the anchors with that subject (a re-keyed CA keeps its name). */
  readonly anchorKeysByDn: ReadonlyMap<string, readonly KeyObject[]>;
  /** anchor id → its subject's dnKey: whose key must have signed a certificate its CRL lists. */
  readonly anchorDnById: ReadonlyMap<string, string>;
}

/** Verdicts of a request the gateway let through. */
export const ACCEPTED_BY_GATEWAY: ReadonlySet<Verdict> = new Set<Verdict>(['ok', 'bearer_unbound', 'bound_not_enforced']);
/** Verdicts a revoked certificate does not replace: they already say the certificate failed, or that it was not the client's. */
const KEPT_WHEN_ACCEPTED: ReadonlySet<Verdict> = new Set<Verdict>(['cert_revoked', 'cert_expired', 'cert_untrusted', 'cert_revoked_unchecked', 'spoofed_client_cert']);

function earlier(a: Hit | undefined, b: Hit): Hit {
  return a && a.revocation.revocationDate <= b.revocation.revocationDate ? a : b;
}

/** Builds the index from the anchors' CRLs and the known certificates whose issuer and serial are logged. */
export function buildRevocationIndex(anchors: readonly AnchorRevocations[], known: readonly KnownCertificate[] = []): RevocationIndex {
  const anchorsByDn = new Map<string, string[]>();
  const anchorKeysByDn = new Map<string, KeyObject[]>();
  const anchorDnById = new Map<string, string>();
  const byIssuerSerial = new Map<string, Hit>();
  const serialOwners = new Map<string, { dn: string; hit: Hit } | null>();
  for (const a of anchors) {
    const dn = dnKey(a.subjectDn);
    if (!dn) continue;
    anchorsByDn.set(dn, [...(anchorsByDn.get(dn) ?? []), a.anchorId]);
    anchorDnById.set(a.anchorId, dn);
    const key = a.der ? publicKeyOf(a.der) : null;
    if (key) anchorKeysByDn.set(dn, [...(anchorKeysByDn.get(dn) ?? []), key]);
    for (const r of a.revocations) {
      const hit = { anchorId: a.anchorId, revocation: r };
      const k = `${dn}\n${r.serial}`;
      byIssuerSerial.set(k, earlier(byIssuerSerial.get(k), hit));
      const owner = serialOwners.get(r.serial);
      if (owner === undefined) serialOwners.set(r.serial, { dn, hit });
      else if (owner !== null && owner.dn !== dn) serialOwners.set(r.serial, null);
      else if (owner !== null) owner.hit = earlier(owner.hit, hit);
    }
  }
  const bySerialOnly = new Map<string, Hit | null>();
  for (const [serial, owner] of serialOwners) bySerialOnly.set(serial, owner?.hit ?? null);
  const index: RevocationIndex = { anchorsByDn, byIssuerSerial, bySerialOnly, byX5t: new Map(), dnKeys: new Map(), anchorKeysByDn, anchorDnById };
  const byX5t = index.byX5t as Map<string, Hit>;
  for (const c of known) {
    const hit = c.issuerDn && c.serial ? issuerSerialHit(index, c.issuerDn, c.serial) : null;
    if (hit) byX5t.set(c.x5tS256, hit);
  }
  return index;
}

function publicKeyOf(der: Uint8Array): KeyObject | null {
  try {
    return new X509Certificate(der).publicKey;
  } catch {
    return null;
  }
}

function cachedDnKey(index: RevocationIndex, dn: string): string | null {
  let k = index.dnKeys.get(dn);
  if (k === undefined) {
    if (index.dnKeys.size >= 10_000) index.dnKeys.clear();
    k = dnKey(dn);
    index.dnKeys.set(dn, k);
  }
  return k;
}

/** The anchor DN key a logged issuer DN names (in any spelling and RDN order); null when no anchor has it. */
function anchorDn(index: RevocationIndex, issuerDn: string): string | null {
  const k = cachedDnKey(index, issuerDn);
  return k && index.anchorsByDn.has(k) ? k : null;
}

function issuerSerialHit(index: RevocationIndex, issuerDn: string, serial: string): Hit | null {
  const dn = anchorDn(index, issuerDn);
  const s = normalizeSerial(serial);
  return dn && s ? (index.byIssuerSerial.get(`${dn}\n${s}`) ?? null) : null;
}

export type MatchBasis = 'issuer' | 'x5t' | 'serial_only';

export interface RevocationMatch {
  anchorId: string;
  revocation: CrlRevocation;
  basis: MatchBasis;
}

type LoggedCert = NonNullable<NormalizedEvent['cert']>;

/** The certificate the client presented: this hop's TLS view, else what a TLS-terminating hop forwarded. */
function presentedCertificate(ev: NormalizedEvent): LoggedCert | null {
  const identifies = (c: LoggedCert | null | undefined): c is LoggedCert => !!c && (!!c.serial || !!c.x5tS256);
  if (identifies(ev.cert)) return ev.cert;
  return identifies(ev.forwardedCert) ? ev.forwardedCert : null;
}

/** The CRL entry that names this request's certificate, and how the certificate was tied to it. */
export function findRevocation(index: RevocationIndex, ev: NormalizedEvent): RevocationMatch | null {
  const c = presentedCertificate(ev);
  return c ? findCertificateRevocation(index, c) : null;
}

/**
 * The CRL entry that names a certificate as a log identifies it (issuer DN and serial, x5t#S256,
 * or a serial alone), whenever it was revoked: the certificate's own status, not a request's verdict.
 */
export function findCertificateRevocation(index: RevocationIndex, c: Pick<LoggedCert, 'issuerDn' | 'serial' | 'x5tS256'>): RevocationMatch | null {
  const serial = c.serial ? normalizeSerial(c.serial) : null;
  if (c.issuerDn) {
    const dn = anchorDn(index, c.issuerDn);
    if (dn) {
      const hit = serial ? index.byIssuerSerial.get(`${dn}\n${serial}`) : undefined;
      // The issuer is an anchor and its CRL does not list the serial: not revoked, whatever else matches.
      if (hit) return { ...hit, basis: 'issuer' };
      if (serial) return null;
    }
  }
  const byX5t = c.x5tS256 ? index.byX5t.get(c.x5tS256) : undefined;
  if (byX5t) return { ...byX5t, basis: 'x5t' };
  if (!c.issuerDn && serial) {
    const hit = index.bySerialOnly.get(serial);
    if (hit) return { ...hit, basis: 'serial_only' };
  }
  return null;
}

/**
 * findCertificateRevocation for a certificate the revoking anchor really signed: a CRL entry
 * revokes the certificate its CA issued, not a forgery that copies its issuer name and serial.
 * With the certificate's bytes (`der`: a line that carried it whole) the signature is checked
 * first (`checks` keeps one outcome per certificate); without them (facts only) the entry is
 * taken at its word, as nothing better can be known.
 */
export function findSignedRevocation(
  index: RevocationIndex, c: Pick<LoggedCert, 'issuerDn' | 'serial' | 'x5tS256'>, der: Uint8Array | null, checks?: SignatureChecks,
): RevocationMatch | null {
  const m = findCertificateRevocation(index, c);
  if (!m || !der) return m;
  const dn = index.anchorDnById.get(m.anchorId);
  return !dn || !index.anchorKeysByDn.has(dn) || signedByAnchor(index, dn, der, c.x5tS256 ?? null, checks) ? m : null;
}

/** `crl:<reason>` (or `crl_serial_only:<reason>`), the verdict's reason. */
export function revocationReason(m: RevocationMatch): string {
  return `${m.basis === 'serial_only' ? 'crl_serial_only' : 'crl'}:${m.revocation.reason ?? 'unspecified'}`;
}

/**
 * The verdict once the CRLs have had their say: cert_revoked_unchecked for an accepted request
 * whose certificate was revoked at or before the request's time; otherwise unchanged.
 *
 * A CRL entry speaks only of a certificate its CA signed (findSignedRevocation): a forgery that
 * copies a revoked serial is left to judgeAgainstAnchors (`signature_not_by_anchor`).
 */
export function judgeAgainstCrls(
  index: RevocationIndex, ev: NormalizedEvent, decided: { verdict: Verdict; reason: string | null; accepted?: boolean | null },
  checks?: SignatureChecks,
): { verdict: Verdict; reason: string | null } {
  // A 2xx the gateway logged is an acceptance whatever else the verdict says (a certificate it did
  // not log a hash of, an expired token): the revoked certificate is still the first fact.
  const accepted = ACCEPTED_BY_GATEWAY.has(decided.verdict) || (decided.accepted === true && !KEPT_WHEN_ACCEPTED.has(decided.verdict));
  if (!accepted) return decided;
  const c = presentedCertificate(ev);
  const m = c ? findSignedRevocation(index, c, certificateDer(ev, c), checks) : null;
  if (!m || m.revocation.revocationDate.getTime() > ev.occurredAt.getTime()) return decided;
  return { verdict: 'cert_revoked_unchecked', reason: revocationReason(m) };
}

/** The reasons judgeAgainstAnchors gives its cert_untrusted. */
export const UNTRUSTED_BY_ANCHORS: ReadonlySet<string> = new Set(['self_signed', 'issuer_not_anchor', 'signature_not_by_anchor']);

/** Outcomes of signature checks, by the certificate's x5t#S256: one check per certificate (per batch, lib/services/trust/review.ts). */
export type SignatureChecks = Map<string, boolean>;

/** At most this many outcomes kept: a batch of a fleet's certificates, not an attacker's stream of fresh ones. */
const SIGNATURE_CHECKS_MAX = 50_000;

/**
 * Whether an anchor with the certificate's issuer name signed it: its DER verified with each of
 * those anchors' public keys. A certificate whose bytes do not parse was signed by no one.
 */
function signedByAnchor(index: RevocationIndex, dn: string, der: Uint8Array, x5t: string | null, checks: SignatureChecks | undefined): boolean {
  const key = x5t ?? createHash('sha256').update(der).digest('base64url');
  const known = checks?.get(key);
  if (known !== undefined) return known;
  let ok = false;
  try {
    const cert = new X509Certificate(der);
    ok = (index.anchorKeysByDn.get(dn) ?? []).some((k) => cert.verify(k));
  } catch {
    ok = false;
  }
  if (checks) {
    if (checks.size >= SIGNATURE_CHECKS_MAX) checks.clear();
    checks.set(key, ok);
  }
  return ok;
}

/** The bytes of the certificate judged: its own, else those of the forwarded certificate it was taken from. */
function certificateDer(ev: NormalizedEvent, c: LoggedCert): Uint8Array | null {
  const own = derOf(c);
  if (own) return own;
  const f = ev.forwardedCert;
  return f && f !== c && f.x5tS256 && f.x5tS256 === c.x5tS256 ? derOf(f) : null;
}

/** Verdicts an untrusted certificate replaces: it is the more severe fact than these (VERDICTS_BY_SEVERITY). */
const UNTRUSTED_REPLACES: ReadonlySet<Verdict> = new Set<Verdict>(['ok', 'bearer_unbound', 'token_expired', 'no_proof_for_bound_token', 'binding_context_stripped']);

/**
 * The verdict once the trust anchors' names have had their say: a certificate that no anchor
 * issued, accepted where nothing verified it, becomes `cert_untrusted`.
 *
 * Judged only when the source logged the certificate's issuer DN and no verification outcome of
 * its own (`verify` null: a certificate forwarded to a backend, a Caddy `client_auth mode request`
 * or NGINX `optional_no_ca` edge that logs the certificate): a gateway that says it verified the
 * certificate trusts a CA Holdfast may not know (an intermediate), and one that says it failed is
 * `cert_untrusted` already. The issuer is compared by name (lib/trust/dn.ts, either RDN order) —
 * a certificate whose subject is its issuer and that is no anchor is `self_signed`, any other
 * `issuer_not_anchor`. A name is no proof: anyone can make a certificate naming an anchor as its
 * issuer, signed with their own key. When the line carried the whole certificate (a forwarded
 * `Client-Cert`, escaped PEM or base64 DER; NGINX `$ssl_client_escaped_cert`), its signature is
 * verified with the public key of each anchor of that name, and one none of them signed is
 * `signature_not_by_anchor` (`checks` keeps one outcome per certificate). A line with the
 * certificate's facts only (Caddy's own TLS log: CN and serial; a DN field) cannot show who signed
 * it: an issuer name that is an anchor's then passes. A source that logs no issuer is not judged.
 * More severe verdicts (a binding mismatch, an unenforced binding, a revoked certificate) stand.
 */
export function judgeAgainstAnchors(
  index: RevocationIndex, ev: NormalizedEvent, decided: { verdict: Verdict; reason: string | null }, checks?: SignatureChecks,
): { verdict: Verdict; reason: string | null } {
  if (!UNTRUSTED_REPLACES.has(decided.verdict) || index.anchorsByDn.size === 0) return decided;
  const c = ev.cert && (ev.cert.issuerDn || ev.cert.serial || ev.cert.x5tS256) ? ev.cert : ev.forwardedCert;
  if (!c?.issuerDn || c.verify !== null) return decided;
  const dn = anchorDn(index, c.issuerDn);
  if (dn) {
    const der = certificateDer(ev, c);
    if (!der || !index.anchorKeysByDn.has(dn) || signedByAnchor(index, dn, der, c.x5tS256, checks)) return decided;
    return { verdict: 'cert_untrusted', reason: 'signature_not_by_anchor' };
  }
  const selfSigned = !!c.subjectDn && cachedDnKey(index, c.subjectDn) === cachedDnKey(index, c.issuerDn);
  return { verdict: 'cert_untrusted', reason: selfSigned ? 'self_signed' : 'issuer_not_anchor' };
}
