// Foundation commands: migrate, seed, summary, user create, apikey create, audit verify.
// Each command imports what it runs when it runs (lib/cli/main.ts: a command loads only its own code).
import type { AuditVerification } from '../../audit/verify-audit-chain.ts';
import { ROLES, type Role } from '../../domain/types.ts';
import type { Summary } from '../../services/summary.ts';
import type { Command, CommandContext } from '../command.ts';
import { CheckFailed, emit, readStdin, UsageError } from '../io.ts';
import { callApi } from '../remote.ts';

function role(value: unknown): Role {
  if (typeof value !== 'string' || !(ROLES as readonly string[]).includes(value)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  }
  return value as Role;
}

function requireString(ctx: CommandContext, name: string): string {
  const v = ctx.values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v;
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply database migrations',
  usage: 'holdfast migrate [--json]',
  options: {},
  async run(ctx) {
    if (ctx.remote) throw new UsageError('migrate works on a database directly; a running server migrates itself at start');
    const { migrateDatabase } = await import('../../db/migrations.ts');
    const applied = await ctx.withDb(async (db) => migrateDatabase(db), { migrate: false });
    emit(ctx.io, { applied }, () => (applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date'));
  },
};

export const seedCommand: Command = {
  name: 'seed',
  summary: 'load the synthetic demo estate',
  usage: 'holdfast seed --demo [--seed N] [--json]',
  options: { demo: { type: 'boolean' }, seed: { type: 'string' } },
  bulkWrites: true,
  async run(ctx) {
    if (!ctx.values.demo) throw new UsageError('only the demo estate can be seeded: pass --demo');
    const raw = ctx.values.seed;
    const seed = raw === undefined ? 42 : Number(raw);
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31) throw new UsageError('--seed must be a whole number from 0 to 2147483648');
    const counts = ctx.remote
      ? await callApi<Record<string, number>>(ctx.remote, 'POST', '/api/v1/admin/seed', { seed })
      : await ctx.withDb(async (db) => {
          const [{ seedDemo }, { evaluateFindings }] = await Promise.all([import('../../seed/seed-demo.ts'), import('../../services/findings/index.ts')]);
          const now = new Date();
          const c = await seedDemo(db, { seed, now });
          await evaluateFindings(db, { now, actor: 'cli:seed' });
          return c;
        });
    emit(ctx.io, counts, () => `seeded ${counts.identities} identities, ${counts.tokens} tokens, ${counts.certificates} certificates, ${counts.events} events`);
  },
};

export const summaryCommand: Command = {
  name: 'summary',
  summary: 'counts of identities, tokens by binding, findings',
  usage: 'holdfast summary [--json]',
  options: {},
  async run(ctx) {
    const s = ctx.remote
      ? await callApi<Summary>(ctx.remote, 'GET', '/api/v1/summary')
      : await ctx.withDb(async (db) => (await import('../../services/summary.ts')).getSummary(db));
    const pick: Summary = { identities: s.identities, tokens: s.tokens, certificates: s.certificates, events: s.events, findings: s.findings };
    emit(ctx.io, pick, () =>
      [
        `identities      ${s.identities}`,
        `tokens          ${s.tokens.total} (bearer ${s.tokens.bearer}, mtls ${s.tokens.mtls}, dpop ${s.tokens.dpop})`,
        `unbound high-risk ${s.tokens.unboundHighRisk}`,
        `exposed active  ${s.tokens.exposedActive}`,
        `certificates    ${s.certificates}`,
        `events          ${s.events}`,
        ...Object.entries(s.findings).map(([k, v]) => `finding ${k.padEnd(26)} ${v}`),
      ].join('\n'),
    );
  },
};

export const userCreateCommand: Command = {
  name: 'user create',
  summary: 'create a local account (password from stdin)',
  usage: 'echo "$PASSWORD" | holdfast user create --email E --role analyst|operator|auditor|admin [--json]',
  options: { email: { type: 'string' }, role: { type: 'string' } },
  async run(ctx) {
    const email = requireString(ctx, 'email');
    const r = role(ctx.values.role);
    const password = (await readStdin()).replace(/\r?\n$/, '');
    if (!password) throw new UsageError('give the password on stdin');
    const user = ctx.remote
      ? await callApi<{ id: string; email: string; role: string }>(ctx.remote, 'POST', '/api/v1/users', { email, role: r, password })
      : await ctx.withDb(async (db) => (await import('../../auth/users.ts')).createUser(db, { email, role: r, password, actor: 'cli' }));
    emit(ctx.io, { id: user.id, email: user.email, role: user.role }, () => `created ${user.role} ${user.email} (${user.id})`);
  },
};

export const apikeyCreateCommand: Command = {
  name: 'apikey create',
  summary: 'create an API key (shown once)',
  usage: 'holdfast apikey create --name N --role R [--scope ingest] [--dpop-jkt J] [--json]',
  options: { name: { type: 'string' }, role: { type: 'string' }, scope: { type: 'string', multiple: true }, 'dpop-jkt': { type: 'string' } },
  async run(ctx) {
    const name = requireString(ctx, 'name');
    const r = role(ctx.values.role);
    const scopes = (ctx.values.scope as string[] | undefined) ?? [];
    for (const s of scopes) if (s !== 'ingest') throw new UsageError('--scope must be ingest');
    const jkt = ctx.values['dpop-jkt'] as string | undefined;
    const { apiKeyName, createApiKey, DPOP_JKT_PATTERN } = await import('../../auth/api-keys.ts');
    if (jkt !== undefined && !DPOP_JKT_PATTERN.test(jkt)) throw new UsageError('--dpop-jkt must be a JWK SHA-256 thumbprint (43 base64url characters; see holdfast thumbprint --jwk)');
    // A bad name is refused before the embedded database opens (as the server would refuse it).
    if (!ctx.remote) apiKeyName(name);
    const key = ctx.remote
      ? await callApi<{ id: string; key: string }>(ctx.remote, 'POST', '/api/v1/api-keys', { name, role: r, scopes, ...(jkt ? { dpopJkt: jkt } : {}) })
      : await ctx.withDb((db) => createApiKey(db, { name, role: r, scopes: scopes as 'ingest'[], dpopJkt: jkt ?? null, actor: 'cli' }));
    emit(ctx.io, { id: key.id, key: key.key }, () => `API key ${key.id}\n${key.key}\n(store it now: it is not shown again)`);
  },
};

/** The first bad entry and why, in one line: "audit chain broken at entry 42 (truncated): the chain ends at …". */
function auditFailureLine(r: AuditVerification): string {
  const where = r.firstBadEntry === null ? '' : ` at entry ${r.firstBadEntry}`;
  return `audit chain broken${where} (${r.reason ?? 'unknown'}): ${r.problem ?? ''}`;
}

function auditOkLine(r: AuditVerification): string {
  const anchor = r.anchor ? `anchored at entry ${r.anchor.seq} (${r.anchor.at})` : 'no anchor yet';
  const legacy = r.legacyEntries ? `; ${r.legacyEntries} from before MACs, hash-chained only` : '';
  return `audit chain intact (${r.entries} entries; ${anchor}${legacy})`;
}

export const auditVerifyCommand: Command = {
  name: 'audit verify',
  summary: 'check the audit log: hash chain, MACs, and the anchor kept outside the database',
  usage: 'holdfast audit verify [--json]',
  options: {},
  async run(ctx) {
    const r = ctx.remote
      ? await callApi<AuditVerification>(ctx.remote, 'GET', '/api/v1/audit/verify')
      : await ctx.withDb(async (db) => (await import('../../audit/verify-audit-chain.ts')).verifyAuditChain(db));
    emit(ctx.io, { ok: r.ok, entries: r.entries, firstBadEntry: r.firstBadEntry, reason: r.reason ?? null, problem: r.problem ?? null, legacyEntries: r.legacyEntries ?? 0, anchor: r.anchor ?? null }, () =>
      r.ok ? auditOkLine(r) : auditFailureLine(r),
    );
    if (!r.ok) throw new CheckFailed(auditFailureLine(r));
  },
};

export const coreCommands: Command[] = [migrateCommand, seedCommand, summaryCommand, userCreateCommand, apikeyCreateCommand, auditVerifyCommand];
