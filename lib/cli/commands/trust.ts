// `holdfast trust add|list|crl|remove`: the CAs and CRLs Holdfast judges client certificates
// against, so a gateway that accepted a certificate its CA has revoked is reported
// (cert_revoked_unchecked). Files are PEM or DER; a bad file is exit 2 with one line, an older CRL
// than the one held is exit 1. With --server the same through /api/v1/trust-anchors.
import { readFileSync, statSync } from 'node:fs';
import type { Io } from '../io.ts';
import { fileText, TrustAddResultSchema, TrustAnchorListSchema, TrustAnchorRemovedSchema } from '../../services/trust/schemas.ts';
import type { TrustAddResult, TrustAnchorView } from '../../services/trust/store.ts';
import type { Command, CommandContext } from '../command.ts';
import { emit, emitLines, UsageError } from '../io.ts';
import { callApi } from '../remote.ts';
import { isUuid } from '../../domain/uuid.ts';

const ACTOR = 'cli';
// A CA certificate is a few KB; the largest public CRLs are tens of MB. The API takes 9 MiB.
const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** The store (X.509 parsing, the database) loads when a command runs, not with the CLI (lib/cli/main.ts). */
const store = () => import('../../services/trust/store.ts');

/** The bytes of the file an option names; unreadable, missing or huge → exit 2, one line. */
function readOptionFile(ctx: CommandContext, option: string, required: boolean): Buffer | null {
  const path = ctx.values[option];
  if (path === undefined) {
    if (required) throw new UsageError(`--${option} FILE is required`);
    return null;
  }
  if (typeof path !== 'string' || path === '') throw new UsageError(`--${option} needs a file`);
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`--${option}: ${path} is not a file`);
    if (st.size > MAX_FILE_BYTES) throw new UsageError(`--${option}: ${path} is ${st.size} bytes, over ${MAX_FILE_BYTES}`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--${option}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function idOption(ctx: CommandContext, option: string): string {
  const id = ctx.values[option];
  if (typeof id !== 'string' || !isUuid(id)) throw new UsageError(`--${option} must be a trust anchor id (UUID; see holdfast trust list)`);
  return id;
}

/** Warnings go to stderr whatever the output mode: they ask the operator to act. */
function warn(io: Io, warnings: readonly string[]): void {
  for (const w of warnings) io.err(`holdfast: warning: ${w}\n`);
}

function describeAdd(r: TrustAddResult): string {
  const ca = `${r.created ? 'added' : 'already trusted:'} CA ${r.ca.subject} (x5t#S256 ${r.ca.x5tS256}, ${r.id})`;
  if (!r.crl) return ca;
  const crl = `CRL ${r.crl.number ?? '(no number)'} of ${r.crl.thisUpdate}, ${r.crlEntries} revoked certificate${r.crlEntries === 1 ? '' : 's'}`;
  return `${ca}\n${r.crlChange === 'unchanged' ? 'same CRL as before' : r.crlChange === 'replaced' ? 'replaced the CRL with' : 'added'} ${crl}${r.crl.stale ? ' (stale)' : ''}`;
}

function describeAnchor(a: TrustAnchorView): string {
  const crl = a.crl ? `CRL ${a.crl.number ?? '-'} ${a.crl.entries} entries, next update ${a.crl.nextUpdate ?? 'none'}${a.crl.stale ? ' STALE' : ''}` : 'no CRL';
  return `${a.id}  ${a.subject}  until ${a.notAfter}  ${crl}`;
}

function report(ctx: CommandContext, r: TrustAddResult): void {
  emit(ctx.io, r, () => describeAdd(r));
  warn(ctx.io, r.warnings);
}

/** A bad file is refused (exit 2) before the database opens: no start of the embedded database for a typo. */
async function addLocally(ctx: CommandContext, ca: Buffer, crl: Buffer | null): Promise<TrustAddResult> {
  const s = await store();
  await s.readTrustInputs(ca, crl);
  return ctx.withDb((db) => s.addTrustAnchor(db, { ca, crl, actor: ACTOR }));
}

export const trustAddCommand: Command = {
  name: 'trust add',
  summary: 'add a CA (and its CRL) to judge client certificates against: cert_revoked_unchecked when a gateway accepted one its CRL lists',
  usage: 'holdfast trust add --ca FILE [--crl FILE] [--json]',
  options: { ca: { type: 'string' }, crl: { type: 'string' } },
  async run(ctx) {
    const ca = readOptionFile(ctx, 'ca', true)!;
    const crl = readOptionFile(ctx, 'crl', false);
    const r = ctx.remote
      ? TrustAddResultSchema.parse(await callApi(ctx.remote, 'POST', '/api/v1/trust-anchors', { ca: fileText(ca), crl: crl ? fileText(crl) : null }))
      : await addLocally(ctx, ca, crl);
    report(ctx, r);
  },
};

export const trustCrlCommand: Command = {
  name: 'trust crl',
  summary: "add or replace a trust anchor's CRL (only by a newer one)",
  usage: 'holdfast trust crl --ca-id ID --crl FILE [--json]',
  options: { 'ca-id': { type: 'string' }, crl: { type: 'string' } },
  async run(ctx) {
    const id = idOption(ctx, 'ca-id');
    const crl = readOptionFile(ctx, 'crl', true)!;
    const r = ctx.remote
      ? TrustAddResultSchema.parse(await callApi(ctx.remote, 'POST', `/api/v1/trust-anchors/${id}/crl`, { crl: fileText(crl) }))
      : await ctx.withDb(async (db) => (await store()).addCrl(db, { anchorId: id, crl, actor: ACTOR }));
    report(ctx, r);
  },
};

export const trustListCommand: Command = {
  name: 'trust list',
  summary: 'list trust anchors with their CRLs (stale ones flagged)',
  usage: 'holdfast trust list [--json]',
  options: {},
  async run(ctx) {
    const rows = ctx.remote
      ? TrustAnchorListSchema.parse(await callApi(ctx.remote, 'GET', '/api/v1/trust-anchors')).trustAnchors
      : await ctx.withDb(async (db) => (await store()).listTrustAnchors(db));
    emitLines(ctx.io, rows, (r) => describeAnchor(r as TrustAnchorView));
    warn(ctx.io, rows.flatMap((a) => a.warnings.map((w) => `${a.subject}: ${w}`)));
  },
};

export const trustRemoveCommand: Command = {
  name: 'trust remove',
  summary: 'stop judging certificates against a trust anchor (its CRL goes with it)',
  usage: 'holdfast trust remove --id ID [--json]',
  options: { id: { type: 'string' } },
  async run(ctx) {
    const id = idOption(ctx, 'id');
    const r = ctx.remote
      ? TrustAnchorRemovedSchema.parse(await callApi(ctx.remote, 'DELETE', `/api/v1/trust-anchors/${id}`))
      : await ctx.withDb(async (db) => (await store()).removeTrustAnchor(db, { id, actor: ACTOR }));
    emit(ctx.io, r, () => `removed trust anchor ${r.subject} (${r.id})`);
  },
};

export const trustCommands: Command[] = [trustAddCommand, trustCrlCommand, trustListCommand, trustRemoveCommand];
