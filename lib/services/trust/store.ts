// Trust anchors and their CRLs in the database: add a CA (idempotent by x5t#S256), add or replace
// its CRL (only by a newer one, signature verified against the CA first; the certificates Holdfast
// holds that it lists become revoked), list, remove. Every
// change is audited in its own transaction; the ingest review sees it at the next batch
// (review.ts notices the change by the anchors' and CRLs' ids).
import { randomUUID } from 'node:crypto';
import { appendAuditEntryRaw } from '../../audit/append-audit-entry.ts';
import { withTransaction, type SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import { readCaCertificate, type CaCertificate } from '../../trust/ca-certificate.ts';
import { readCrl, type ParsedCrl } from '../../trust/crl.ts';
import { TrustInputError } from '../../trust/errors.ts';
import { markCertificatesRevokedByCrl } from './mark-revoked-certificates.ts';
import { crlRevokedKnownCertificates } from './review.ts';
import { isUuid } from '../../domain/uuid.ts';


export interface CrlView {
  /** CRL number (decimal), null when the CRL carries none. */
  number: string | null;
  thisUpdate: string;
  nextUpdate: string | null;
  /** nextUpdate has passed: the CA has published a newer CRL that Holdfast does not have. */
  stale: boolean;
  entries: number;
  sha256: string;
  addedAt: string;
  addedBy: string;
}

export interface TrustAnchorView {
  id: string;
  subject: string;
  issuer: string;
  x5tS256: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  createdAt: string;
  createdBy: string;
  crl: CrlView | null;
  /** What an operator should act on: a stale CRL, an expired CA, no CRL at all. */
  warnings: string[];
}

/** What `holdfast trust add` / `trust crl` and POST /api/v1/trust-anchors answer (CONTRACT.md: ca, crlEntries). */
export interface TrustAddResult {
  id: string;
  /** false: the CA was already an anchor (adding it again changes nothing). */
  created: boolean;
  ca: { subject: string; x5tS256: string; issuer: string; notBefore: string; notAfter: string };
  /** Revoked certificates on the anchor's current CRL (0 without one). */
  crlEntries: number;
  /** What happened to the CRL given: added, replaced an older one, or the same one again. */
  crlChange: 'added' | 'replaced' | 'unchanged' | null;
  crl: CrlView | null;
  warnings: string[];
}

interface AnchorRow {
  id: string;
  subjectDn: string;
  issuerDn: string;
  x5tS256: string;
  serial: string;
  notBefore: Date | string;
  notAfter: Date | string;
  createdAt: Date | string;
  createdBy: string;
  crlNumber: string | null;
  thisUpdate: Date | string | null;
  nextUpdate: Date | string | null;
  entryCount: number | null;
  sha256: string | null;
  addedAt: Date | string | null;
  addedBy: string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();

const ANCHOR_SELECT = `SELECT a.id::text AS id, a."subjectDn", a."issuerDn", a."x5tS256", a.serial, a."notBefore", a."notAfter", a."createdAt", a."createdBy",
    c.number AS "crlNumber", c."thisUpdate", c."nextUpdate", c."entryCount", c.sha256, c."addedAt", c."addedBy"
  FROM "TrustAnchor" a LEFT JOIN "Crl" c ON c."anchorId" = a.id`;

function crlView(r: AnchorRow, now: Date): CrlView | null {
  if (r.thisUpdate === null || r.sha256 === null) return null;
  return {
    number: r.crlNumber,
    thisUpdate: iso(r.thisUpdate),
    nextUpdate: r.nextUpdate ? iso(r.nextUpdate) : null,
    stale: !!r.nextUpdate && new Date(r.nextUpdate).getTime() < now.getTime(),
    entries: Number(r.entryCount ?? 0),
    sha256: r.sha256,
    addedAt: iso(r.addedAt!),
    addedBy: r.addedBy ?? '',
  };
}

/**
 * Why an anchor may not be doing its job. A stale CRL is still used (a revocation is never
 * undone), but revocations the CA made since are unknown to Holdfast until the newer CRL is added.
 */
export function anchorWarnings(a: { notBefore: string; notAfter: string }, crl: CrlView | null, now: Date): string[] {
  const w: string[] = [];
  if (new Date(a.notAfter).getTime() < now.getTime()) w.push(`the CA certificate expired on ${a.notAfter}`);
  if (new Date(a.notBefore).getTime() > now.getTime()) w.push(`the CA certificate is not valid before ${a.notBefore}`);
  if (!crl) w.push('no CRL: add the CA\'s CRL (holdfast trust crl) so revoked certificates can be recognised');
  else if (crl.stale) w.push(`the CRL is stale: its nextUpdate ${crl.nextUpdate} has passed; certificates the CA revoked since are not known — add its current CRL`);
  return w;
}

function anchorView(r: AnchorRow, now: Date): TrustAnchorView {
  const crl = crlView(r, now);
  const base = { notBefore: iso(r.notBefore), notAfter: iso(r.notAfter) };
  return {
    id: r.id,
    subject: r.subjectDn,
    issuer: r.issuerDn,
    x5tS256: r.x5tS256,
    serial: r.serial,
    ...base,
    createdAt: iso(r.createdAt),
    createdBy: r.createdBy,
    crl,
    warnings: anchorWarnings(base, crl, now),
  };
}

async function anchorById(exec: SqlExecutor, id: string, now: Date): Promise<TrustAnchorView | null> {
  const { rows } = await exec(`${ANCHOR_SELECT} WHERE a.id = $1::uuid`, [id]);
  const r = rows[0] as AnchorRow | undefined;
  return r ? anchorView(r, now) : null;
}

/** Every trust anchor with its CRL's state, subjects in order. */
export async function listTrustAnchors(db: Database, now = new Date()): Promise<TrustAnchorView[]> {
  const rows = await db.query<AnchorRow>(`${ANCHOR_SELECT} ORDER BY a."subjectDn", a."createdAt"`);
  return rows.map((r) => anchorView(r, now));
}

function result(a: TrustAnchorView, created: boolean, crlChange: TrustAddResult['crlChange']): TrustAddResult {
  return {
    id: a.id,
    created,
    ca: { subject: a.subject, x5tS256: a.x5tS256, issuer: a.issuer, notBefore: a.notBefore, notAfter: a.notAfter },
    crlEntries: a.crl?.entries ?? 0,
    crlChange,
    crl: a.crl,
    warnings: a.warnings,
  };
}

interface CurrentCrl {
  id: string;
  number: string | null;
  thisUpdate: Date | string;
  sha256: string;
}

/**
 * Whether `next` may replace `current`: the same bytes change nothing; otherwise only a newer
 * CRL — a higher CRL number when both carry one (RFC 5280 §5.2.3: numbers only grow), else a
 * later thisUpdate. An older CRL would bring back certificates revoked since.
 */
export function crlSucceeds(current: { number: string | null; thisUpdate: Date; sha256: string }, next: Pick<ParsedCrl, 'number' | 'thisUpdate' | 'sha256'>): 'unchanged' | 'newer' | { older: string } {
  if (current.sha256 === next.sha256) return 'unchanged';
  if (current.number !== null && next.number !== null) {
    const cur = BigInt(current.number);
    if (next.number > cur) return 'newer';
    return { older: next.number === cur ? `it has the same CRL number (${cur}) as the current CRL but different content` : `its CRL number ${next.number} is lower than the current CRL's ${cur}` };
  }
  if (next.thisUpdate.getTime() > current.thisUpdate.getTime()) return 'newer';
  return { older: `its thisUpdate ${next.thisUpdate.toISOString()} is not later than the current CRL's ${current.thisUpdate.toISOString()}` };
}

/** Writes the CRL as the anchor's current one (replacing the previous, entries and all); audited. */
async function storeCrl(exec: SqlExecutor, anchor: { id: string; subject: string }, crl: ParsedCrl, actor: string): Promise<'added' | 'replaced' | 'unchanged'> {
  // One writer per anchor at a time, so two concurrent uploads cannot both replace the same CRL.
  await exec(`SELECT id FROM "TrustAnchor" WHERE id = $1::uuid FOR UPDATE`, [anchor.id]);
  const { rows } = await exec(`SELECT id::text AS id, number, "thisUpdate", sha256 FROM "Crl" WHERE "anchorId" = $1::uuid`, [anchor.id]);
  const current = rows[0] as CurrentCrl | undefined;
  if (current) {
    const verdict = crlSucceeds({ number: current.number, thisUpdate: new Date(current.thisUpdate), sha256: current.sha256 }, crl);
    // The same CRL again still marks certificates recorded before Holdfast kept CRL revocations.
    if (verdict === 'unchanged') {
      await markCertificatesRevokedByCrl(exec, await crlRevokedKnownCertificates(exec));
      return 'unchanged';
    }
    if (verdict !== 'newer') throw new HoldfastError('conflict', `the CRL is older than the one Holdfast has for ${anchor.subject}: ${verdict.older}`);
    await exec(`DELETE FROM "Crl" WHERE id = $1::uuid`, [current.id]);
  }
  const crlId = randomUUID();
  await exec(
    `INSERT INTO "Crl" (id, "anchorId", number, "thisUpdate", "nextUpdate", sha256, "entryCount", "addedBy") VALUES ($1::uuid, $2::uuid, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8)`,
    [crlId, anchor.id, crl.number === null ? null : crl.number.toString(), crl.thisUpdate.toISOString(), crl.nextUpdate?.toISOString() ?? null, crl.sha256, crl.entries.length, actor],
  );
  // Set-based: a CA's CRL may list hundreds of thousands of certificates.
  for (let i = 0; i < crl.entries.length; i += 20_000) {
    const part = crl.entries.slice(i, i + 20_000);
    await exec(
      `INSERT INTO "CrlEntry" ("crlId", serial, "revocationDate", reason)
       SELECT $1::uuid, u.s, u.d::timestamptz, u.r FROM unnest($2::text[], $3::text[], $4::text[]) AS u(s, d, r)`,
      [crlId, part.map((e) => e.serial), part.map((e) => e.revocationDate.toISOString()), part.map((e) => e.reason)],
    );
  }
  const certificatesRevoked = await markCertificatesRevokedByCrl(exec, await crlRevokedKnownCertificates(exec));
  await appendAuditEntryRaw(exec, {
    actor,
    action: 'trust_anchor.crl',
    target: `trust_anchor:${anchor.id}`,
    details: {
      subject: anchor.subject,
      number: crl.number === null ? null : crl.number.toString(),
      thisUpdate: crl.thisUpdate.toISOString(),
      nextUpdate: crl.nextUpdate?.toISOString() ?? null,
      entries: crl.entries.length,
      sha256: crl.sha256,
      replaced: current ? { number: current.number, sha256: current.sha256 } : null,
      // Known certificates the CRL lists, now stored as revoked (mark-revoked-certificates.ts).
      certificatesRevoked,
    },
  });
  return current ? 'replaced' : 'added';
}

export interface TrustAddInput {
  /** The CA certificate, PEM or DER bytes. */
  ca: Uint8Array;
  /** Its CRL, PEM or DER bytes. */
  crl?: Uint8Array | null;
  actor: string;
  now?: Date;
}

/** Reads and verifies both files before touching the database: a bad CRL adds no CA either. */
export async function readTrustInputs(ca: Uint8Array, crl: Uint8Array | null | undefined): Promise<{ cert: CaCertificate; parsed: ParsedCrl | null }> {
  let cert: CaCertificate;
  try {
    cert = readCaCertificate(ca);
  } catch (e) {
    throw e instanceof TrustInputError ? e.forField('ca') : e;
  }
  try {
    return { cert, parsed: crl ? await readCrl(crl, cert) : null };
  } catch (e) {
    throw e instanceof TrustInputError ? e.forField('crl') : e;
  }
}

/**
 * Adds a CA as a trust anchor (or finds it: the same certificate again changes nothing) and,
 * when given, its CRL. All or nothing, in one transaction with its audit entries.
 */
export async function addTrustAnchor(db: Database, input: TrustAddInput): Promise<TrustAddResult> {
  const now = input.now ?? new Date();
  const { cert, parsed } = await readTrustInputs(input.ca, input.crl);
  return withTransaction(db, async (exec) => {
    const { rows: inserted } = await exec(
      `INSERT INTO "TrustAnchor" ("subjectDn", "issuerDn", "x5tS256", serial, "notBefore", "notAfter", pem, "createdBy")
       VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7, $8) ON CONFLICT ("x5tS256") DO NOTHING RETURNING id::text AS id`,
      [cert.subjectDn, cert.issuerDn, cert.x5tS256, cert.serial, cert.notBefore.toISOString(), cert.notAfter.toISOString(), cert.pem, input.actor],
    );
    const created = inserted.length > 0;
    let id = (inserted[0] as { id: string } | undefined)?.id;
    if (!id) {
      const { rows } = await exec(`SELECT id::text AS id FROM "TrustAnchor" WHERE "x5tS256" = $1`, [cert.x5tS256]);
      id = (rows[0] as { id: string }).id;
    } else {
      await appendAuditEntryRaw(exec, {
        actor: input.actor,
        action: 'trust_anchor.add',
        target: `trust_anchor:${id}`,
        details: { subject: cert.subjectDn, issuer: cert.issuerDn, x5tS256: cert.x5tS256, serial: cert.serial, notAfter: cert.notAfter.toISOString() },
      });
    }
    const crlChange = parsed ? await storeCrl(exec, { id, subject: cert.subjectDn }, parsed, input.actor) : null;
    return result((await anchorById(exec, id, now))!, created, crlChange);
  });
}

function anchorId(id: string): string {
  if (!isUuid(id)) throw new HoldfastError('not_found', `no trust anchor ${id}`);
  return id;
}

/** Adds or replaces the CRL of an existing anchor (verified against it). */
export async function addCrl(db: Database, input: { anchorId: string; crl: Uint8Array; actor: string; now?: Date }): Promise<TrustAddResult> {
  const now = input.now ?? new Date();
  const id = anchorId(input.anchorId);
  const pem = (await db.query<{ pem: string }>(`SELECT pem FROM "TrustAnchor" WHERE id = $1::uuid`, [id]))[0]?.pem;
  if (!pem) throw new HoldfastError('not_found', `no trust anchor ${id}`);
  const { cert, parsed } = await readTrustInputs(Buffer.from(pem), input.crl);
  return withTransaction(db, async (exec) => {
    const crlChange = await storeCrl(exec, { id, subject: cert.subjectDn }, parsed!, input.actor);
    const a = await anchorById(exec, id, now);
    if (!a) throw new HoldfastError('not_found', `no trust anchor ${id}`);
    return result(a, false, crlChange);
  });
}

/** Removes an anchor and its CRL; requests ingested later are no longer judged against it. */
export async function removeTrustAnchor(db: Database, input: { id: string; actor: string; now?: Date }): Promise<{ id: string; removed: true; subject: string; x5tS256: string }> {
  const id = anchorId(input.id);
  return withTransaction(db, async (exec) => {
    const { rows } = await exec(`DELETE FROM "TrustAnchor" WHERE id = $1::uuid RETURNING "subjectDn", "x5tS256"`, [id]);
    const r = rows[0] as { subjectDn: string; x5tS256: string } | undefined;
    if (!r) throw new HoldfastError('not_found', `no trust anchor ${id}`);
    await appendAuditEntryRaw(exec, { actor: input.actor, action: 'trust_anchor.remove', target: `trust_anchor:${id}`, details: { subject: r.subjectDn, x5tS256: r.x5tS256 } });
    return { id, removed: true as const, subject: r.subjectDn, x5tS256: r.x5tS256 };
  });
}
