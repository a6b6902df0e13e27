// `holdfast evidence storage|holds|hold|release`: what the evidence store keeps, and evidence holds,
// for incident runbooks, legal holds and auditors' checks from the shell. While a hold is in force
// retention drops no evidence partition (lib/services/evidence/holds.ts).
// A blank or over-long reason, or an id that is not a hold's, is exit 2 with one line. With --server
// the same through /api/v1/evidence/holds.
import { HoldChangeSchema, HoldListSchema, holdReason, holdSince, type EvidenceHold } from '../../services/evidence/hold-schemas.ts';
import { isUuid } from '../../domain/uuid.ts';
import type { EvidenceStorageSchema } from '../../services/evidence/storage-schemas.ts';
import type { Command } from '../command.ts';
import { emit, emitLines, UsageError } from '../io.ts';
import { callApi } from '../remote.ts';

const ACTOR = 'cli';
/** The store loads when a command runs, not with the CLI (lib/cli/main.ts). */
const holds = () => import('../../services/evidence/holds.ts');
const storage = () => import('../../services/evidence/storage.ts');
/** The view's shape and byte sizes, loaded with the command too: the CLI's main chunk stays small. */
const storageSchemas = () => import('../../services/evidence/storage-schemas.ts');

function describeHold(h: EvidenceHold): string {
  const state = h.releasedAt ? `released ${h.releasedAt} by ${h.releasedBy}` : 'IN FORCE';
  const reach = h.since ? `  keeps archived lines from ${h.since}` : '';
  return `${h.id}  ${state}  placed ${h.createdAt} by ${h.createdBy}${reach}: ${h.reason.replace(/\s+/g, ' ')}`;
}

const inForceLine = (n: number) => (n ? `${n} hold${n === 1 ? '' : 's'} in force: retention drops nothing until ${n === 1 ? 'it is' : 'all are'} released` : 'no hold in force: retention resumes at the next maintenance run');

type StorageView = ReturnType<typeof EvidenceStorageSchema.parse>;

/** The storage view as text: a line per store, then the holds' effect and the latest drop. */
function describeStorage(v: StorageView, byteSize: (n: number) => string): string {
  const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');
  const lines = v.stores.map((s) => {
    const rows = `${s.rowsEstimated ? '~' : ''}${s.rows.toLocaleString('en-US')} rows`;
    const next = s.nextDrop ? `next drop ${s.nextDrop.partition} at ${s.nextDrop.at}` : 'nothing to drop';
    const overdue = s.overdue ? `; ${s.overdue} past retention and kept${v.held ? ' (held)' : ' (the next maintenance run drops them)'}` : '';
    return `${s.label}: ${s.keptDays} days (${s.setting}), ${s.partitions} partition${s.partitions === 1 ? '' : 's'}, ${rows}, ${byteSize(s.bytes)}, oldest ${day(s.oldestFrom)}, ${next}${overdue}`;
  });
  const inForce = v.holds.filter((h) => h.releasedAt === null);
  const reach = inForce.map((h) => h.since).filter((x): x is string => x !== null).sort()[0];
  const held = inForce.length
    ? `retention is paused: ${inForce.length} evidence hold${inForce.length === 1 ? '' : 's'} in force${reach ? `; ingest keeps lines from ${reach} on` : ''}`
    : 'no evidence hold in force: each partition goes when its retention ends';
  const dropped = v.drops[0] ? `latest drop: ${v.drops[0].partition} at ${v.drops[0].at} (${v.drops[0].rows.toLocaleString('en-US')} rows, ${byteSize(v.drops[0].bytes)})` : 'no partition dropped yet';
  return [...lines, `in all: ${byteSize(v.totalBytes)}`, held, dropped].join('\n');
}

export const evidenceStorageCommand: Command = {
  name: 'evidence storage',
  summary: 'what the evidence store keeps: per store its retention, partitions, rows, size, oldest day and next drop; holds; the latest drop',
  usage: 'holdfast evidence storage [--json]',
  options: {},
  async run(ctx) {
    const [{ EvidenceStorageSchema }, { byteSize }] = await Promise.all([storageSchemas(), import('../../domain/byte-size.ts')]);
    const v = ctx.remote
      ? EvidenceStorageSchema.parse(await callApi(ctx.remote, 'GET', '/api/v1/evidence/storage'))
      : await ctx.withDb(async (db) => (await storage()).evidenceStorage(db));
    emit(ctx.io, v, () => describeStorage(v, byteSize));
  },
};

export const evidenceHoldsCommand: Command = {
  name: 'evidence holds',
  summary: 'list evidence holds: those in force (retention drops nothing meanwhile), then the latest released',
  usage: 'holdfast evidence holds [--json]',
  options: {},
  async run(ctx) {
    const rows = ctx.remote
      ? HoldListSchema.parse(await callApi(ctx.remote, 'GET', '/api/v1/evidence/holds')).holds
      : await ctx.withDb(async (db) => (await holds()).listEvidenceHolds(async (sql, params) => ({ rows: await db.query(sql, params) })));
    emitLines(ctx.io, rows, (r) => describeHold(r as EvidenceHold));
  },
};

export const evidenceHoldCommand: Command = {
  name: 'evidence hold',
  summary: 'place an evidence hold: retention drops no evidence partition until it is released (an investigation, a legal hold)',
  usage: 'holdfast evidence hold --reason TEXT [--since DATE] [--json]',
  options: { reason: { type: 'string' }, since: { type: 'string' } },
  async run(ctx) {
    const given = ctx.values.reason;
    if (typeof given !== 'string') throw new UsageError('--reason TEXT is required (the investigation or matter the hold is for)');
    let reason: string;
    try {
      reason = holdReason(given);
    } catch (e) {
      throw new UsageError(`--reason: ${(e as Error).message}`);
    }
    // How far back the matter reaches: ingest keeps archived lines from then on while the hold is in force.
    const givenSince = ctx.values.since;
    if (givenSince !== undefined && typeof givenSince !== 'string') throw new UsageError('--since DATE takes a date (YYYY-MM-DD) or an ISO 8601 time with offset');
    let since: string | undefined;
    try {
      since = holdSince(givenSince, Date.now())?.toISOString();
    } catch (e) {
      throw new UsageError(`--${(e as Error).message}`);
    }
    const r = ctx.remote
      ? HoldChangeSchema.parse(await callApi(ctx.remote, 'POST', '/api/v1/evidence/holds', { reason, ...(since ? { since } : {}) }))
      : await ctx.withDb(async (db) => (await holds()).placeEvidenceHold(db, { reason, since, actor: ACTOR }));
    const reach = r.hold.since ? `\ningest keeps lines from ${r.hold.since} on while it is in force, even past retention` : '';
    emit(ctx.io, r, () => `placed evidence hold ${r.hold.id}${reach}\n${inForceLine(r.inForce)}`);
  },
};

export const evidenceReleaseCommand: Command = {
  name: 'evidence release',
  summary: 'release an evidence hold (it stays listed as released); retention resumes once none is in force',
  usage: 'holdfast evidence release --id ID [--json]',
  options: { id: { type: 'string' } },
  async run(ctx) {
    const id = ctx.values.id;
    if (typeof id !== 'string' || !isUuid(id)) throw new UsageError('--id must be an evidence hold id (UUID; see holdfast evidence holds)');
    const r = ctx.remote
      ? HoldChangeSchema.parse(await callApi(ctx.remote, 'POST', `/api/v1/evidence/holds/${id}/release`))
      : await ctx.withDb(async (db) => (await holds()).releaseEvidenceHold(db, { id, actor: ACTOR }));
    emit(ctx.io, r, () => `${r.alreadyReleased ? 'already released' : 'released'}: evidence hold ${r.hold.id}\n${inForceLine(r.inForce)}`);
  },
};

export const evidenceCommands: Command[] = [evidenceStorageCommand, evidenceHoldsCommand, evidenceHoldCommand, evidenceReleaseCommand];
