// The batch writer: one chunk of parse results at a time, inside the batch's transaction. It
// resolves what the records name against stored rows (tokens by fingerprint, identities by name,
// client id or SPIFFE ID, certificates by x5t#S256 or SHA-1), creates the ones first seen, decides
// each request's verdict (lib/binding) in stream order, hands the decided requests to the evidence
// store (lib/services/evidence) and upserts inventory tokens and exposures. Caches live for the
// batch; last-seen times are gathered per chunk and written once at its end (writeLastSeen).
import { bindingOfClaims, decideVerdictNow, type KeyCache, type MemoryReplayStore, type TokenBindingFacts } from '../../binding/index.ts';
import { columnNames, unnestParams, unnestSelect, type BulkColumn, type SqlExecutor } from '../../db/bulk.ts';
import type { Binding, ExposureRecord, NormalizedEvent, TokenRecord } from '../../domain/types.ts';
import { backendView, forwardedPeer, namesCertificate, UNTRUSTED_PEER_REASON, type Cidr, type ForwardedPeer } from '../../hops/index.ts';
import type { ForwarderTally } from '../../hops/forwarders.ts';
import { identityFrom } from '../../ingest/auth-facts.ts';
import { claimTextsOf, exposureDedupeKey, identityNameOf, inventoryIdentityName, legacyIdentityNameOf, newIdentity, tokenStatusOf, tokenTtlSeconds, type ClaimTexts, type NewIdentity } from '../../ingest/entity-facts.ts';
import type { HopRecorder } from '../evidence/hops.ts';
import type { CopyIn, DecidedRequest, EvidenceWriter } from '../evidence/writer.ts';
import { derOf } from '../../credentials/certificate.ts';
import { findSignedRevocation } from '../../trust/revocation-index.ts';
import { markCertificatesRevokedByCrl, type CrlRevokedCertificate } from '../trust/mark-revoked-certificates.ts';
import { reviewWithTrust, UNTRUSTED_BY_ANCHORS, type TrustSnapshot } from '../trust/review.ts';
import { MAX_BATCH_ERRORS, type IngestError, type IngestProgress } from './batch-types.ts';
import { resolveCertsByIssuerSerial } from './cert-by-issuer-serial.ts';
import { resolveCertsBySha1 } from './cert-by-sha1.ts';
import type { ProofsSeen } from './proofs-seen.ts';

// ───────────────────────────── rows ─────────────────────────────

/** An event of the chunk once its token, identity and verdict are known. */
interface EventRow {
  ev: NormalizedEvent;
  identityId: string | null;
  tokenId: string | null;
  jkt: string | null;
  verdict: string;
  reason: string | null;
  /** The token's binding as known now (what the verdict was decided on); null without a token. */
  binding: Binding | null;
}

interface TokenRow {
  rec: TokenRecord;
  identityId: string;
  status: string;
  sourceId: string | null;
  /** When this batch learnt of a revocation (the record itself carries no time for it). */
  revokedAt: Date | null;
  /** The ingest clock when the token became known; written on insert only (an upsert keeps the first). */
  firstSeenAt: Date;
}

const tokenColumns: BulkColumn<TokenRow>[] = [
  { name: 'fingerprint', type: 'text', get: (r) => r.rec.fingerprint },
  { name: 'identityId', type: 'uuid', get: (r) => r.identityId },
  { name: 'tokenType', type: 'text', get: (r) => r.rec.tokenType },
  { name: 'jti', type: 'text', get: (r) => r.rec.jti },
  { name: 'issuer', type: 'text', get: (r) => r.rec.issuer },
  { name: 'subject', type: 'text', get: (r) => r.rec.subject },
  { name: 'clientId', type: 'text', get: (r) => r.rec.clientId },
  { name: 'audience', type: 'text[]', get: (r) => r.rec.audience },
  { name: 'scopes', type: 'text[]', get: (r) => r.rec.scopes },
  { name: 'issuedAt', type: 'timestamptz', get: (r) => r.rec.issuedAt },
  { name: 'expiresAt', type: 'timestamptz', get: (r) => r.rec.expiresAt },
  { name: 'ttlSeconds', type: 'int4', get: (r) => tokenTtlSeconds(r.rec.issuedAt, r.rec.expiresAt) },
  { name: 'binding', type: '"Binding"', get: (r) => r.rec.binding },
  { name: 'cnfX5tS256', type: 'text', get: (r) => r.rec.cnfX5tS256 },
  { name: 'cnfJkt', type: 'text', get: (r) => r.rec.cnfJkt },
  { name: 'bindingAnomaly', type: 'bool', get: (r) => r.rec.bindingAnomaly },
  { name: 'status', type: 'text', get: (r) => r.status },
  { name: 'sourceId', type: 'uuid', get: (r) => r.sourceId },
  { name: 'revokedAt', type: 'timestamptz', get: (r) => r.revokedAt },
  // The injected clock, not the database's now(): "tokens known at T" (the Overview's trend) must not
  // depend on when the batch happened to run.
  { name: 'firstSeenAt', type: 'timestamptz', get: (r) => r.firstSeenAt },
];

// Facts an upsert may change; a re-sent record that changes none of them is a duplicate.
const TOKEN_FACTS = ['identityId', 'tokenType', 'jti', 'issuer', 'subject', 'clientId', 'audience', 'scopes', 'issuedAt', 'expiresAt', 'ttlSeconds', 'binding', 'cnfX5tS256', 'cnfJkt', 'bindingAnomaly'];

interface ExposureRow {
  dedupeKey: string;
  tokenId: string | null;
  x: ExposureRecord;
  batchId: string;
}

const exposureColumns: BulkColumn<ExposureRow>[] = [
  { name: 'dedupeKey', type: 'text', get: (r) => r.dedupeKey },
  { name: 'tokenId', type: 'uuid', get: (r) => r.tokenId },
  { name: 'fingerprint', type: 'text', get: (r) => r.x.fingerprint },
  { name: 'scanner', type: 'text', get: (r) => r.x.scanner },
  { name: 'ruleId', type: 'text', get: (r) => r.x.ruleId },
  { name: 'location', type: 'text', get: (r) => r.x.location },
  { name: 'commit', type: 'text', get: (r) => r.x.commit },
  { name: 'foundAt', type: 'timestamptz', get: (r) => r.x.foundAt },
  { name: 'batchId', type: 'uuid', get: (r) => r.batchId },
];

type IdentityRow = NewIdentity;

const identityColumns: BulkColumn<IdentityRow>[] = [
  { name: 'name', type: 'text', get: (r) => r.name },
  { name: 'kind', type: 'text', get: (r) => r.kind },
  { name: 'clientId', type: 'text', get: (r) => r.clientId },
  { name: 'spiffeId', type: 'text', get: (r) => r.spiffeId },
  { name: 'lastSeenAt', type: 'timestamptz', get: (r) => r.lastSeenAt },
];

interface CertRow {
  c: NonNullable<NormalizedEvent['cert']>;
  identityId: string | null;
  status: string;
  /** keepsBytes of the line that made it known. */
  keepBytes: boolean;
}

const certColumns: BulkColumn<CertRow>[] = [
  { name: 'x5tS256', type: 'text', get: (r) => r.c.x5tS256 },
  { name: 'sha1Hex', type: 'text', get: (r) => r.c.sha1Hex },
  { name: 'subjectDn', type: 'text', get: (r) => r.c.subjectDn },
  { name: 'issuerDn', type: 'text', get: (r) => r.c.issuerDn },
  { name: 'serial', type: 'text', get: (r) => r.c.serial },
  { name: 'notBefore', type: 'timestamptz', get: (r) => r.c.notBefore },
  { name: 'notAfter', type: 'timestamptz', get: (r) => r.c.notAfter },
  { name: 'status', type: 'text', get: (r) => r.status },
  { name: 'identityId', type: 'uuid', get: (r) => r.identityId },
  { name: 'der', type: 'bytea:base64', get: (r) => (r.keepBytes ? base64Of(derOf(r.c)) : null) },
];

const base64Of = (der: Uint8Array | null) => (der ? Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64') : null);

/**
 * Whether a certificate's bytes are kept: not for one no trusted CA issued (cert_untrusted: self-
 * signed, unknown issuer, a signature no anchor made). Anyone can mint those by the thousand; the
 * lines that presented them are kept whole as notable evidence, PEM included, so the store of
 * certificates does not grow with them.
 */
const keepsBytes = (verdict: string) => verdict !== 'cert_untrusted';

// ───────────────────────────── helpers ─────────────────────────────

interface CachedToken {
  id: string;
  identityId: string;
  facts: TokenBindingFacts;
  /** When the token was revoked (a request after it is an anomaly kept as evidence). */
  revokedAt: number | null;
}

function factsOfRow(r: { binding: string; cnfJkt: string | null; cnfX5tS256: string | null; expiresAt: Date | string | null; bindingAnomaly: boolean }): TokenBindingFacts {
  return {
    binding: r.binding as Binding,
    cnfJkt: r.cnfJkt,
    cnfX5tS256: r.cnfX5tS256,
    expiresAt: r.expiresAt ? new Date(r.expiresAt) : null,
    bindingAnomaly: r.bindingAnomaly,
  };
}

/**
 * Token facts an event's own JWT claims imply (for tokens first seen in a log). The binding is the
 * binding engine's one rule (bindingOfClaims), so the stored token and the request's verdict agree:
 * only the issuer's cnf binds a token, never the scheme the client sent it with, and a cnf with both
 * jkt and x5t#S256 is a flagged anomaly, not a sender-constrained token.
 */
function claimFacts(ev: NormalizedEvent): ClaimTexts & ReturnType<typeof bindingOfClaims> {
  return { ...claimTextsOf(ev), ...bindingOfClaims(ev.tokenClaims ?? {}) };
}

// ───────────────────────────── the batch ─────────────────────────────

export interface BatchState {
  exec: SqlExecutor;
  copy: CopyIn | null;
  evidence: EvidenceWriter;
  /** Hop correlation (lib/services/evidence/hops.ts). */
  hops: HopRecorder;
  /** Trust anchors and CRLs, when configured (lib/services/trust/review.ts). */
  trust: TrustSnapshot | null;
  /** The source's trusted proxies (lib/hops trusted-proxies.ts); null or empty: a forwarded certificate is believed from any peer. */
  trustedProxies: Cidr[] | null;
  /** New requests with a forwarded certificate by the TCP peer they came from and how it stands (forwardedPeer): the batch's warnings and the source's forwarders. */
  forwarders: ForwarderTally;
  batchId: string;
  sourceId: string | null;
  now: () => Date;
  stats: IngestProgress;
  errors: IngestError[];
  tokens: Map<string, CachedToken | null>;
  identities: Map<string, string>;
  /** Known certificates; `withoutDer` when the stored row lacks the certificate's bytes (a line that carries them fills them in). */
  certsByX5t: Map<string, { id: string; identityId: string | null; withoutDer?: boolean }>;
  /** Writes that need not wait for the batch (sideExecutor): a known certificate's bytes. */
  side: SqlExecutor;
  /** SHA-1 → the one certificate with it, or null (cert-by-sha1.ts). */
  certsBySha1: Map<string, { id: string; x5tS256: string; identityId: string | null } | null>;
  replay: MemoryReplayStore;
  /** The DPoP proofs earlier batches accepted (proofs-seen.ts). */
  proofs: ProofsSeen;
  keyCache: KeyCache;
  /** Latest event time per token / identity id over the whole batch, written once at its end. */
  lastSeen: { Token: Map<string, number>; Identity: Map<string, number> };
  /** What the batch changed, for the findings evaluation that follows it. */
  touched: BatchTouched;
}

/**
 * What a committed batch changed, as far as findings go: the tokens it saw in requests or found
 * exposed, and whether it changed more than those tokens' own facts (an inventory of tokens and
 * identities), which only a whole-estate evaluation decides.
 */
export interface BatchTouched {
  tokenIds: Set<string>;
  beyondTokens: boolean;
}

function trimCache<K, V>(m: Map<K, V>, max = 200_000): void {
  if (m.size > max) m.clear();
}

async function lookupTokens(st: BatchState, fps: Iterable<string>): Promise<void> {
  const want = [...new Set(fps)].filter((f) => !st.tokens.has(f));
  if (!want.length) return;
  trimCache(st.tokens);
  const { rows } = await st.exec(
    `SELECT id::text AS id, fingerprint, "identityId"::text AS "identityId", binding::text AS binding, "cnfJkt", "cnfX5tS256", "expiresAt", "bindingAnomaly", "revokedAt"
       FROM "Token" WHERE fingerprint = ANY($1::text[])`,
    [want],
  );
  for (const f of want) st.tokens.set(f, null);
  for (const r of rows as Array<{ id: string; fingerprint: string; identityId: string; binding: string; cnfJkt: string | null; cnfX5tS256: string | null; expiresAt: Date | null; bindingAnomaly: boolean; revokedAt: Date | string | null }>) {
    st.tokens.set(r.fingerprint, { id: r.id, identityId: r.identityId, facts: factsOfRow(r), revokedAt: r.revokedAt ? new Date(r.revokedAt).getTime() : null });
  }
}

/** Ids for identity names: existing identities matched by name, client id or SPIFFE ID; missing ones created. */
async function resolveIdentities(st: BatchState, wanted: Map<string, IdentityRow>): Promise<void> {
  const names = [...wanted.keys()].filter((n) => !st.identities.has(n));
  if (!names.length) return;
  trimCache(st.identities, 100_000);
  const find = async (list: string[]) => {
    const { rows } = await st.exec(
      `SELECT id::text AS id, name, "clientId", "spiffeId" FROM "Identity"
        WHERE name = ANY($1::text[]) OR "clientId" = ANY($1::text[]) OR "spiffeId" = ANY($1::text[])`,
      [list],
    );
    const set = new Set(list);
    // Exact name first, then client id / SPIFFE ID.
    for (const r of rows as Array<{ id: string; name: string; clientId: string | null; spiffeId: string | null }>) {
      if (set.has(r.name)) st.identities.set(r.name, r.id);
    }
    for (const r of rows as Array<{ id: string; name: string; clientId: string | null; spiffeId: string | null }>) {
      for (const k of [r.clientId, r.spiffeId]) if (k && set.has(k) && !st.identities.has(k)) st.identities.set(k, r.id);
    }
  };
  await find(names);
  const missing = names.filter((n) => !st.identities.has(n)).map((n) => wanted.get(n)!);
  if (!missing.length) return;
  await st.exec(
    `INSERT INTO "Identity" (${columnNames(identityColumns)}) ${unnestSelect(identityColumns)} ON CONFLICT (name) DO NOTHING`,
    unnestParams(identityColumns, missing),
  );
  await find(missing.map((m) => m.name));
}

/**
 * Identities stored under the name a DN hint had before DNs were decoded (legacyIdentityNameOf):
 * a name with no identity of its own takes the legacy one's, so a certificate's history stays one
 * identity. A name that has its own identity keeps it.
 */
async function adoptLegacyIdentities(st: BatchState, legacyNames: Map<string, string>): Promise<void> {
  const open = [...legacyNames].filter(([name]) => !st.identities.has(name));
  if (!open.length) return;
  const { rows } = await st.exec(`SELECT id::text AS id, name FROM "Identity" WHERE name = ANY($1::text[])`, [open.flatMap(([n, l]) => [n, l])]);
  const byName = new Map((rows as Array<{ id: string; name: string }>).map((r) => [r.name, r.id]));
  for (const [name, legacy] of open) {
    const id = byName.get(name) ?? byName.get(legacy);
    if (id) st.identities.set(name, id);
  }
}

export interface PendingEvent {
  ev: NormalizedEvent;
  /** Request key (lib/ingest/evidence/request-key.ts), computed before the DPoP proof is dropped. */
  key: Buffer;
  lineNo: number;
}

export async function flushEvents(st: BatchState, pending: PendingEvent[]): Promise<void> {
  if (!pending.length) return;
  // Behind a TLS-terminating proxy the client's certificate arrives in a header (lib/hops
  // backendView): a line whose own hop logged no client certificate is judged, linked to a known
  // certificate and kept with the forwarded one, as the backend's binding check reads it. Whether
  // the header was the client's own is the chain's question (decideChain: spoofed, stripped), so a
  // forwarded certificate creates no certificate record (the edge that verified it does).
  const forwarded = new Set<NormalizedEvent>();
  for (const { ev } of pending) {
    if (!ev.forwardedCert || namesCertificate(ev.cert)) continue;
    ev.cert = backendView(ev).cert;
    forwarded.add(ev);
  }
  // A loop, not flatMap: no array per request.
  const fingerprints: string[] = [];
  for (const { ev } of pending) if (ev.tokenFingerprint) fingerprints.push(ev.tokenFingerprint);
  await lookupTokens(st, fingerprints);
  await resolveCertsByIssuerSerial(st, pending);
  const bySha1 = await resolveCertsBySha1(st, pending);

  // Certificates already known, by x5t#S256 (a SHA-1-only line was given one above when its certificate is known).
  const x5ts = new Set<string>();
  for (const { ev } of pending) {
    if (ev.cert?.x5tS256 && !st.certsByX5t.has(ev.cert.x5tS256)) x5ts.add(ev.cert.x5tS256);
  }
  if (x5ts.size) {
    trimCache(st.certsByX5t, 50_000);
    const { rows } = await st.exec(
      `SELECT id::text AS id, "x5tS256", "identityId"::text AS "identityId", der IS NULL AS "withoutDer" FROM "Certificate" WHERE "x5tS256" = ANY($1::text[])`,
      [[...x5ts]],
    );
    for (const r of rows as Array<{ id: string; x5tS256: string; identityId: string | null; withoutDer: boolean }>) {
      st.certsByX5t.set(r.x5tS256, { id: r.id, identityId: r.identityId, withoutDer: r.withoutDer });
    }
  }

  // Verdicts, in stream order: DPoP jti replay tracked across the batch, and against the proofs
  // earlier batches accepted for other requests (proofs-seen.ts).
  await st.proofs.seed(pending);
  const rows: EventRow[] = new Array(pending.length);
  // How the peer of each line with a forwarded certificate stands; tallied once its request is new.
  const peerClass = new Map<NormalizedEvent, ForwardedPeer>();
  let current = pending[0]!;
  const deps = { replayStore: st.proofs.recording(st.replay, () => current.key), keyCache: st.keyCache };
  for (let i = 0; i < pending.length; i++) {
    current = pending[i]!;
    const { ev } = current;
    const known = ev.tokenFingerprint ? st.tokens.get(ev.tokenFingerprint) ?? null : null;
    // Awaited only when the verdict needs a promise (an await per event costs more than the verdict).
    const v = decideVerdictNow(ev, known?.facts ?? null, deps);
    const decided = v instanceof Promise ? await v : v;
    // The trust anchors' CRLs may know a certificate the gateway accepted is revoked.
    const d = st.trust ? { ...decided, ...reviewWithTrust(st.trust, ev, decided) } : decided;
    ev.dpopProof = null; // verified; never stored
    // A forwarded certificate from a peer that is not one of the source's proxies is the client's
    // own claim: whatever the binding check made of it, the request is spoofed_client_cert. Only
    // where it stood in for a TLS one (a backend's line): a hop that ended TLS itself judged its own.
    const peer = forwarded.has(ev) ? forwardedPeer(ev, st.trustedProxies) : 'none';
    if (peer !== 'none') peerClass.set(ev, peer);
    const untrusted = peer === 'untrusted';
    rows[i] = {
      ev,
      identityId: known?.identityId ?? null, tokenId: known?.id ?? null,
      jkt: d.dpop?.jkt ?? ev.jkt ?? known?.facts.cnfJkt ?? null,
      verdict: untrusted ? 'spoofed_client_cert' : d.verdict, reason: untrusted ? UNTRUSTED_PEER_REASON : d.reason, binding: known?.facts.binding ?? null,
    };
  }

  await st.proofs.record();

  // Identities: the token record's, else the token's own client as its claims name it, else the
  // certificate's, else the event's own hint. A token presented with someone's certificate (a
  // stolen one, or another client's) is that token's client's use, not the certificate owner's.
  const wanted = new Map<string, IdentityRow>();
  const legacyNames = new Map<string, string>();
  // Names per distinct client or hint: a chunk repeats a few hundred of them, and deriving a DN
  // hint's names decodes the DN (twice: its name and its legacy name), ~9 µs a line.
  const clientNames = new Map<string, string | null>();
  const hintNames = new Map<string | null, { name: string | null; legacy: string | null }>();
  const nameOf: Array<string | null> = rows.map((r) => {
    if (r.identityId) return null;
    const tokenClient = identityFrom(r.ev.tokenClaims);
    const cert = tokenClient ? null : r.ev.cert?.x5tS256 ? st.certsByX5t.get(r.ev.cert.x5tS256) : r.ev.cert?.sha1Hex ? st.certsBySha1.get(r.ev.cert.sha1Hex) : null;
    if (cert?.identityId) {
      r.identityId = cert.identityId;
      return null;
    }
    // A certificate the trust anchors' review found no anchor issued names no one: a self-signed
    // one may claim any client's CN. Only the token's own client can then name the identity.
    const hint = isUntrustedByAnchors(r) ? null : r.ev.identityHint;
    let name: string | null;
    let legacy: string | null = null;
    if (tokenClient) {
      if (!clientNames.has(tokenClient)) clientNames.set(tokenClient, identityNameOf(tokenClient));
      name = clientNames.get(tokenClient)!;
    } else {
      let names = hintNames.get(hint);
      if (!names) hintNames.set(hint, (names = { name: identityNameOf(hint), legacy: legacyIdentityNameOf(hint) }));
      ({ name, legacy } = names);
    }
    if (name && legacy) legacyNames.set(name, legacy);
    if (name && !wanted.has(name)) {
      const claims = r.ev.tokenClaims;
      const cid = typeof claims?.client_id === 'string' ? claims.client_id : null;
      wanted.set(name, newIdentity(name, cid === name ? cid : null, r.ev.occurredAt));
    }
    return name;
  });
  await adoptLegacyIdentities(st, legacyNames);
  await resolveIdentities(st, wanted);
  rows.forEach((r, i) => {
    const n = nameOf[i];
    if (n && !r.identityId) r.identityId = st.identities.get(n) ?? null;
  });

  // New certificates (only those with an x5t#S256: the column is the certificate's identity).
  const newCerts = new Map<string, CertRow>();
  for (const r of rows) {
    const c = r.ev.cert;
    if (!c?.x5tS256 || forwarded.has(r.ev) || bySha1.has(r.ev) || st.certsByX5t.has(c.x5tS256) || newCerts.has(c.x5tS256)) continue;
    const expired = c.notAfter ? c.notAfter.getTime() < r.ev.occurredAt.getTime() : false;
    const status = r.verdict === 'cert_revoked' ? 'revoked' : expired || r.verdict === 'cert_expired' ? 'expired' : 'active';
    newCerts.set(c.x5tS256, { c, identityId: r.identityId, status, keepBytes: keepsBytes(r.verdict) });
  }
  if (newCerts.size) {
    const list = [...newCerts.values()];
    await st.exec(`INSERT INTO "Certificate" (${columnNames(certColumns)}) ${unnestSelect(certColumns)} ON CONFLICT ("x5tS256") DO NOTHING`, unnestParams(certColumns, list));
    const { rows: got } = await st.exec(
      `SELECT id::text AS id, "x5tS256", "sha1Hex", "identityId"::text AS "identityId" FROM "Certificate" WHERE "x5tS256" = ANY($1::text[])`,
      [[...newCerts.keys()]],
    );
    for (const g of got as Array<{ id: string; x5tS256: string; sha1Hex: string | null; identityId: string | null }>) {
      st.certsByX5t.set(g.x5tS256, { id: g.id, identityId: g.identityId });
      // A SHA-1 that named no certificate until now names this one (cert-by-sha1.ts).
      if (g.sha1Hex && st.certsBySha1.get(g.sha1Hex) === null) st.certsBySha1.delete(g.sha1Hex);
    }
  }

  // Known certificates stored without their bytes, now carried by a line: filled in outside the
  // batch (the bytes are the certificate's, whatever becomes of the batch). A row another
  // transaction holds — this batch's own among them (a CRL review marked it revoked) — is skipped,
  // never waited on: a later line fills it in.
  const bytes = new Map<string, string>();
  for (const r of rows) {
    const c = r.ev.cert;
    if (!c?.x5tS256 || forwarded.has(r.ev) || bytes.has(c.x5tS256) || !keepsBytes(r.verdict)) continue;
    const known = st.certsByX5t.get(c.x5tS256);
    const der = known?.withoutDer ? base64Of(derOf(c)) : null;
    if (der) {
      bytes.set(c.x5tS256, der);
      known!.withoutDer = false;
    }
  }
  if (bytes.size) {
    const list = [...bytes].sort(([a], [b]) => (a < b ? -1 : 1));
    await st.side(
      `UPDATE "Certificate" c SET der = decode(u.der, 'base64') FROM unnest($1::text[], $2::text[]) AS u(x5t, der)
        WHERE c."x5tS256" = u.x5t AND c.id IN (SELECT id FROM "Certificate" WHERE "x5tS256" = ANY($1::text[]) AND der IS NULL FOR NO KEY UPDATE SKIP LOCKED)`,
      [list.map(([x]) => x), list.map(([, d]) => d)],
    );
  }

  // A certificate a trusted CA's CRL lists is revoked, whether this gateway checked or not, and
  // whenever the request was: its stored status says so (mark-revoked-certificates.ts).
  if (st.trust) {
    const listed: CrlRevokedCertificate[] = [];
    const judged = new Set<string>();
    for (const r of rows) {
      const c = r.ev.cert;
      if (!c?.x5tS256 || forwarded.has(r.ev) || judged.has(c.x5tS256)) continue;
      judged.add(c.x5tS256);
      // Not a forgery that copies a listed serial: with the certificate's bytes, the anchor's signature first.
      const match = findSignedRevocation(st.trust.index, c, derOf(c), st.trust.signatures);
      if (match) listed.push({ x5tS256: c.x5tS256, match });
    }
    await markCertificatesRevokedByCrl(st.exec, listed);
  }

  // Tokens first seen in this log (fingerprint logged, identity known): created from the claims.
  const newTokens = new Map<string, TokenRow>();
  for (const r of rows) {
    const fp = r.ev.tokenFingerprint;
    // Claims that cannot say the token's binding (notLogged.cnf) create no token: it would be stored bearer.
    if (!fp || r.tokenId || !r.identityId || newTokens.has(fp) || r.ev.notLogged?.cnf) continue;
    const f = claimFacts(r.ev);
    newTokens.set(fp, {
      identityId: r.identityId,
      // A log can show a token already past its exp (a client replaying an expired token).
      status: tokenStatusOf({ active: null, expiresAt: f.expiresAt }, st.now()),
      sourceId: st.sourceId,
      revokedAt: null,
      firstSeenAt: st.now(),
      rec: {
        fingerprint: fp, identityName: '', tokenType: 'access', jti: f.jti, issuer: f.issuer, subject: f.subject, clientId: f.clientId,
        audience: [], scopes: f.scopes, issuedAt: f.issuedAt, expiresAt: f.expiresAt, binding: f.binding, cnfX5tS256: f.cnfX5tS256,
        cnfJkt: f.cnfJkt, bindingAnomaly: f.bindingAnomaly, active: null,
      },
    });
  }
  if (newTokens.size) {
    await st.exec(`INSERT INTO "Token" (${columnNames(tokenColumns)}) ${unnestSelect(tokenColumns)} ON CONFLICT (fingerprint) DO NOTHING`, unnestParams(tokenColumns, [...newTokens.values()]));
    for (const f of newTokens.keys()) st.tokens.delete(f);
    await lookupTokens(st, newTokens.keys());
    for (const r of rows) {
      const t = r.ev.tokenFingerprint && !r.tokenId ? st.tokens.get(r.ev.tokenFingerprint) : null;
      if (t) {
        r.tokenId = t.id;
        r.binding = t.facts.binding;
      }
    }
  }

  // The requests themselves, to the evidence store; a key already stored (a re-sent line) is a duplicate.
  {
    const decided: DecidedRequest[] = rows.map((r, i) => {
      const known = r.ev.tokenFingerprint ? st.tokens.get(r.ev.tokenFingerprint) ?? null : null;
      const after = known?.revokedAt != null && r.ev.occurredAt.getTime() > known.revokedAt;
      return {
        lineNo: pending[i]!.lineNo, ev: r.ev, key: pending[i]!.key, tokenId: r.tokenId, identityId: r.identityId,
        tokenIdentityId: known?.identityId ?? null,
        certIdentityId: r.ev.cert?.x5tS256 ? st.certsByX5t.get(r.ev.cert.x5tS256)?.identityId ?? null : null, jkt: r.jkt, verdict: r.verdict as DecidedRequest['verdict'], reason: r.reason,
        binding: r.binding, anomaly: after ? 'after_revocation' : null,
      };
    });
    const res = await st.evidence.writeChunk(decided);
    await st.hops.observe(res.fresh, res.freshRoutes);
    // Only new requests: a line re-sent inside the ledger's window was tallied when it was first stored.
    for (const d of res.fresh) {
      const cls = peerClass.get(d.ev);
      if (cls) st.forwarders.note(d.ev, cls);
    }
    st.stats.accepted += res.inserted;
    st.stats.duplicates += res.duplicates;
    for (const x of res.rejected) {
      st.stats.rejected++;
      if (st.errors.length < MAX_BATCH_ERRORS) st.errors.push({ line: x.lineNo, reason: x.reason, message: x.message });
    }
    noteLastSeen(st, rows);
  }
}
/** Last seen, per token and identity: gathered per chunk, written once when the batch ends. */
function noteLastSeen(st: BatchState, rows: EventRow[]): void {
  for (const r of rows) {
    const t = r.ev.occurredAt.getTime();
    if (r.tokenId) st.touched.tokenIds.add(r.tokenId);
    if (r.tokenId && (st.lastSeen.Token.get(r.tokenId) ?? -Infinity) < t) st.lastSeen.Token.set(r.tokenId, t);
    if (r.identityId && (st.lastSeen.Identity.get(r.identityId) ?? -Infinity) < t) st.lastSeen.Identity.set(r.identityId, t);
  }
}

/**
 * Writes the batch's last-seen times (idempotent: only ever moves forward). Done once, at the end
 * of the batch: an UPDATE holds its rows until COMMIT, so writing per chunk made concurrent
 * batches over the same tokens wait on each other for their whole length. The rows are locked
 * in id order first (ORDER BY … FOR NO KEY UPDATE locks as the sort returns them): an UPDATE
 * joined to a list locks in whatever order its plan visits the table, and two batches whose plans
 * differ deadlocked (seen under the two-instance load bench).
 */
export async function writeLastSeen(st: BatchState): Promise<void> {
  for (const table of ['Token', 'Identity'] as const) {
    const m = st.lastSeen[table];
    if (!m.size) continue;
    const ids = [...m.keys()];
    const ats = ids.map((id) => new Date(m.get(id)!).toISOString());
    await st.exec(
      `WITH u AS MATERIALIZED (SELECT unnest($1::text[])::uuid AS id, unnest($2::text[])::timestamptz AS at),
            lk AS MATERIALIZED (SELECT t.id FROM "${table}" t JOIN u ON u.id = t.id
                                 WHERE t."lastSeenAt" IS NULL OR t."lastSeenAt" < u.at ORDER BY t.id FOR NO KEY UPDATE OF t)
       UPDATE "${table}" t SET "lastSeenAt" = u.at FROM u
        WHERE t.id = u.id AND t.id IN (SELECT id FROM lk) AND (t."lastSeenAt" IS NULL OR t."lastSeenAt" < u.at)`,
      [ids, ats],
    );
  }
}

export async function flushTokens(st: BatchState, pending: TokenRecord[]): Promise<void> {
  if (!pending.length) return;
  st.touched.beyondTokens = true;
  // Last record per fingerprint wins inside one statement (an upsert cannot touch a row twice).
  const byFp = new Map<string, TokenRecord>();
  for (const t of pending) byFp.set(t.fingerprint, t);
  st.stats.duplicates += pending.length - byFp.size;
  const recs = [...byFp.values()];
  const wanted = new Map<string, IdentityRow>();
  for (const t of recs) {
    const name = inventoryIdentityName(t);
    if (!wanted.has(name)) wanted.set(name, newIdentity(name, t.clientId === name ? t.clientId : null, null));
  }
  await resolveIdentities(st, wanted);
  const now = st.now();
  const rows: TokenRow[] = recs.map((rec) => {
    const status = tokenStatusOf(rec, now);
    return {
      rec,
      identityId: st.identities.get(inventoryIdentityName(rec))!,
      status,
      sourceId: st.sourceId,
      revokedAt: status === 'revoked' ? now : null,
      firstSeenAt: now,
    };
  });
  // Facts the record states replace stored ones; facts it leaves out (null, empty) keep theirs.
  const value = (c: string) =>
    KEEP_WHEN_NULL.has(c) ? `COALESCE(EXCLUDED."${c}", t."${c}")` : KEEP_WHEN_EMPTY.has(c) ? `(CASE WHEN cardinality(EXCLUDED."${c}") > 0 THEN EXCLUDED."${c}" ELSE t."${c}" END)` : `EXCLUDED."${c}"`;
  const statusOnly = `status = ${STATUS_EXPR}, "revokedAt" = CASE WHEN ${STATUS_EXPR} = 'revoked' THEN COALESCE(t."revokedAt", EXCLUDED."revokedAt") ELSE t."revokedAt" END`;
  const upsert = async (group: TokenRow[], factsToo: boolean) => {
    if (!group.length) return;
    const facts = factsToo ? TOKEN_FACTS : [];
    const set = [...facts.map((c) => `"${c}" = ${value(c)}`), statusOnly].join(', ');
    const distinct = `(${[...facts.map((c) => `t."${c}"`), 't.status'].join(', ')}) IS DISTINCT FROM (${[...facts.map(value), STATUS_EXPR].join(', ')})`;
    const { rows: changed } = await st.exec(
      `WITH up AS (INSERT INTO "Token" AS t (${columnNames(tokenColumns)}) ${unnestSelect(tokenColumns)}
         ON CONFLICT (fingerprint) DO UPDATE SET ${set}
         WHERE ${distinct}
         RETURNING 1) SELECT count(*)::int AS n FROM up`,
      unnestParams(tokenColumns, group),
    );
    const n = Number((changed[0] as { n: number }).n);
    st.stats.accepted += n;
    st.stats.duplicates += group.length - n;
  };
  // An inactive record (RFC 7662 `{"active":false}`) says nothing about binding or claims: for
  // a known token it changes the status only.
  await upsert(rows.filter((r) => r.rec.active !== false), true);
  await upsert(rows.filter((r) => r.rec.active === false), false);
  for (const f of byFp.keys()) st.tokens.delete(f);
}

const KEEP_WHEN_NULL = new Set(['jti', 'issuer', 'subject', 'clientId', 'issuedAt', 'expiresAt', 'ttlSeconds']);
const KEEP_WHEN_EMPTY = new Set(['audience', 'scopes']);

// A revoked token stays revoked: an inventory that still lists it as active, or calls it expired
// once its exp has passed, does not undo the revocation.
const STATUS_EXPR = `(CASE WHEN t.status = 'revoked' THEN t.status ELSE EXCLUDED.status END)`;

export async function flushExposures(st: BatchState, pending: ExposureRecord[]): Promise<void> {
  if (!pending.length) return;
  await lookupTokens(st, pending.map((x) => x.fingerprint));
  const rows: ExposureRow[] = pending.map((x) => ({
    x,
    batchId: st.batchId,
    tokenId: st.tokens.get(x.fingerprint)?.id ?? null,
    dedupeKey: exposureDedupeKey(x),
  }));
  const { rows: ins } = await st.exec(
    `WITH ins AS (INSERT INTO "ExposureFinding" (${columnNames(exposureColumns)}) ${unnestSelect(exposureColumns)}
       ON CONFLICT ("dedupeKey") DO NOTHING RETURNING 1) SELECT count(*)::int AS n FROM ins`,
    unnestParams(exposureColumns, rows),
  );
  const n = Number((ins[0] as { n: number }).n);
  st.stats.accepted += n;
  st.stats.duplicates += rows.length - n;
  const ids = [...new Set(rows.flatMap((r) => (r.tokenId ? [r.tokenId] : [])))];
  for (const id of ids) st.touched.tokenIds.add(id);
  if (ids.length) {
    await st.exec(`UPDATE "Token" SET exposure = 'exposed' WHERE id = ANY($1::text[]::uuid[]) AND exposure <> 'exposed'`, [ids]);
  }
}

/** cert_untrusted from the trust anchors' review (lib/trust judgeAgainstAnchors), not from the gateway. */
function isUntrustedByAnchors(r: { verdict: string; reason: string | null }): boolean {
  return r.verdict === 'cert_untrusted' && UNTRUSTED_BY_ANCHORS.has(r.reason ?? '');
}
