// Every answer the API gives about an estate, collected from the services the routes call, with
// database-generated ids replaced by what they name (a token by its fingerprint, an identity by
// its name, …). The storage differential test (lib/services/evidence/differential.test.ts)
// compares these answers between the legacy event storage (recorded in its fixture) and the
// evidence store, for the same input and clock.
import type { Database } from '../db/open.ts';
import { listBuiltinFrameworks } from '../frameworks/index.ts';
import { getCertificateDetail } from '../services/estate/certificate-detail.ts';
import { getIdentityDetail, getTokenDetail } from '../services/estate/details.ts';
import { groupEvents, listEvents, listFindings, listIdentities, listTokens, parseEventFilters, parseFindingFilters, parseIdentityFilters, parseTokenFilters, EVENT_GROUPS } from '../services/estate/lists.ts';
import { getOverview } from '../services/estate/overview.ts';
import { evidenceCounts, findingRows, positiveEvidenceRows } from '../services/frameworks/evidence.ts';
import { frameworkOverview } from '../services/frameworks/overview.ts';
import { getSummary } from '../services/summary.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Maps every uuid of the estate to a stable label. */
async function labels(db: Database): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  const add = (rows: Array<{ id: string; label: string }>, kind: string) => {
    for (const r of rows) m.set(r.id, `${kind}:${r.label}`);
  };
  add(await db.query(`SELECT id::text AS id, fingerprint AS label FROM "Token"`), 'token');
  add(await db.query(`SELECT id::text AS id, name AS label FROM "Identity"`), 'identity');
  add(await db.query(`SELECT id::text AS id, "x5tS256" AS label FROM "Certificate"`), 'cert');
  add(await db.query(`SELECT id::text AS id, "dedupeKey" AS label FROM "Finding"`), 'finding');
  add(await db.query(`SELECT id::text AS id, name AS label FROM "Source"`), 'source');
  // Finding dedupe keys embed token and certificate ids: their labels are normalised too.
  for (const [id, label] of m) if (label.startsWith('finding:')) m.set(id, label.replace(UUID, (u) => (u === id ? u : (m.get(u) ?? 'uuid'))));
  return m;
}

/** Ids replaced by labels; `createdAt` dropped (rows ingest creates get the database clock's time, not the test's). */
function normalise(value: unknown, ids: Map<string, string>): unknown {
  return JSON.parse(JSON.stringify(value, (k, v) => (k === 'createdAt' ? undefined : typeof v === 'string' ? v.replace(UUID, (u) => ids.get(u) ?? 'uuid') : v)));
}

async function allPages<T>(fetch: (after: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>, max = 100): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (let i = 0; i < max; i++) {
    const page = await fetch(after);
    out.push(...page.items);
    if (!page.nextCursor) break;
    after = page.nextCursor;
  }
  return out;
}

/** Every `step`-th element, so a sample spans the whole list deterministically. */
const sample = <T,>(xs: T[], step: number) => xs.filter((_, i) => i % step === 0);

/** Fields of an event both storages keep for every request (the ledger keeps no method, URL or exact address of an ok request). */
const EVENT_FIELDS = ['requestId', 'occurredAt', 'gateway', 'httpStatus', 'identity', 'tokenId', 'tokenFingerprint', 'x5tS256', 'jkt', 'verdict', 'reason'] as const;
const pick = (e: Record<string, unknown>, fields: readonly string[] = EVENT_FIELDS) => Object.fromEntries(fields.map((k) => [k, e[k] ?? null]));
/** What a certificate page's request list showed before the evidence store (it added identity, thumbprints, request id). */
const CERT_EVENT_FIELDS = ['occurredAt', 'gateway', 'httpStatus', 'tokenId', 'verdict', 'reason'] as const;

/**
 * A newest-first list cut at `limit`, in canonical order and without the rows that share the last
 * row's time: which of several requests logged in the same second make the cut is not an answer
 * (NGINX logs whole seconds).
 */
function newestRows(rows: Array<Record<string, unknown>>, limit: number): unknown[] {
  const cut = rows.length >= limit ? rows.at(-1)?.occurredAt : undefined;
  return rows.filter((r) => cut === undefined || r.occurredAt !== cut).map((r) => JSON.stringify(r)).sort().map((x) => JSON.parse(x) as unknown);
}

/** A long list of events as counts per verdict × reason × gateway × identity × day, and every 20th row in canonical order. */
function tally(rows: Array<Record<string, unknown>>): { total: number; counts: Record<string, number>; sample: unknown[] } {
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const k = [r.verdict, r.reason, r.gateway, r.identity, String(r.occurredAt).slice(0, 10)].join('|');
    counts[k] = (counts[k] ?? 0) + 1;
  }
  const canonical = rows.map((r) => JSON.stringify(r)).sort();
  return { total: rows.length, counts: Object.fromEntries(Object.entries(counts).sort()), sample: canonical.filter((_, i) => i % 20 === 0).map((x) => JSON.parse(x) as unknown) };
}

export async function collectAnswers(db: Database, now: Date, opts: { windowDays?: number } = {}): Promise<Record<string, unknown>> {
  const ids = await labels(db);
  const out: Record<string, unknown> = {};
  out.summary = await getSummary(db);
  // The Overview's default window: the 7 days up to `now`.
  out.overview = await getOverview(db, { from: new Date(now.getTime() - 7 * 86_400_000), to: now });

  const tokens = await allPages((after) => listTokens(db, { ...parseTokenFilters({}), limit: 500, sort: 'id' } as never, after ? { after } : {}));
  const byFp = [...tokens].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
  out.tokens = byFp.map((t) => ({ fingerprint: t.fingerprint, status: t.status, riskSeverity: t.riskSeverity, findings: t.findings, blastRadius: t.blastRadius, lastSeenAt: t.lastSeenAt }));
  out.identities = (await allPages((after) => listIdentities(db, { ...parseIdentityFilters({}), limit: 500 }, after ? { after } : {}))).sort((a, b) => (a.name < b.name ? -1 : 1));
  // Sorted once normalised: dedupe keys and evidence rows embed ids, which differ between runs.
  const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
  out.findings = (normalise((await allPages((after) => listFindings(db, { ...parseFindingFilters({ status: 'all' }), limit: 500 }, after ? { after } : {}, now)))
    .map((f) => ({ ...f, id: undefined })), ids) as Array<{ dedupeKey: string }>)
    .sort((a, b) => (a.dedupeKey < b.dedupeKey ? -1 : 1));

  // Details of a sample of tokens (every 25th by fingerprint, plus every token that made a request), identities and certificates.
  const used = byFp.filter((t) => t.lastSeenAt);
  const tokenSample = [...new Set([...sample(byFp, 50), ...sample(used, 20)])];
  out.tokenDetails = await Promise.all(tokenSample.map(async (t) => getTokenDetail(db, t.id)));
  const identities = out.identities as Array<{ id: string }>;
  out.identityDetails = [];
  for (const i of sample(identities, 14)) (out.identityDetails as unknown[]).push(await getIdentityDetail(db, i.id, now));
  const certs = await db.query<{ id: string }>(`SELECT id::text AS id FROM "Certificate" ORDER BY "x5tS256"`);
  out.certificateDetails = [];
  for (const c of sample(certs, 9)) {
    const d = await getCertificateDetail(db, c.id, now);
    (out.certificateDetails as unknown[]).push({ ...d, events: newestRows(normalise(d.events.map((e) => pick(e as unknown as Record<string, unknown>, CERT_EVENT_FIELDS)), ids) as Array<Record<string, unknown>>, 50) });
  }

  // Binding failures page: groups; the failures themselves (kept individually by both storages)
  // and every request inside the dedupe window, as counts per verdict × reason × gateway ×
  // identity × day plus every 20th row in full (canonical order).
  out.failureGroups = {};
  for (const by of EVENT_GROUPS) (out.failureGroups as Record<string, unknown>)[by] = await groupEvents(db, parseEventFilters({ failures: 'binding' }), by);
  const failures = (await allPages((after) => listEvents(db, { ...parseEventFilters({ failures: 'any' }), limit: 500 }, after ? { after } : {}), 1000)).map((e) => pick(e as never));
  out.failures = tally(normalise(failures, ids) as Array<Record<string, unknown>>);
  const windowStart = new Date(now.getTime() - (opts.windowDays ?? 7) * 86_400_000);
  const inWindow = (await allPages((after) => listEvents(db, { ...parseEventFilters({ from: windowStart.toISOString() }), limit: 500 }, after ? { after } : {}), 1000)).map((e) => pick(e as never));
  out.requestsInWindow = tally(normalise(inWindow, ids) as Array<Record<string, unknown>>);

  const evidence = await evidenceCounts(db, {}, { now });
  out.evidenceCounts = evidence;
  out.frameworks = {};
  for (const f of listBuiltinFrameworks().map((x) => x.id)) (out.frameworks as Record<string, unknown>)[f] = await frameworkOverview(db, f, {}, { now, evidence });
  const positive: unknown[] = [];
  for await (const r of positiveEvidenceRows(db, {}, { now })) positive.push(r);
  out.positiveEvidence = (normalise(positive, ids) as unknown[]).sort(byJson);
  const findingEvidence: unknown[] = [];
  for await (const r of findingRows(db, {}, { now })) findingEvidence.push(r);
  out.findingEvidence = (normalise(findingEvidence, ids) as unknown[]).sort(byJson);
  return normalise(out, ids) as Record<string, unknown>;
}
