// Access management from the shell: list and revoke API keys, list users, disable / enable them
// and change their role. Same effects as Settings and the API (sessions ended at once, the last
// enabled admin kept, every change audited); with --server the commands go through the API.
import { apiKeyListing, userListing, type ApiKeyListing, type ApiKeyListingInput, type UserListing } from '../../auth/access-listing.ts';
import { nameProblem, nameProblemMessage } from '../../auth/names.ts';
import type { UserChange } from '../../auth/users.ts';
import { ROLES, type Role } from '../../domain/types.ts';
import { HoldfastError } from '../../errors.ts';
import type { Command, CommandContext } from '../command.ts';
import { emit, emitLines, UsageError } from '../io.ts';
import { callApi, type Remote } from '../remote.ts';
import { isUuid } from '../../domain/uuid.ts';

const ACTOR = 'cli';
// Accounts and keys load when a command runs (lib/cli/main.ts: a command loads only its own code).
const users = () => import('../../auth/users.ts');
const apiKeys = () => import('../../auth/api-keys.ts');

function roleOption(value: unknown): Role {
  if (typeof value !== 'string' || !(ROLES as readonly string[]).includes(value)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return value as Role;
}

/** --email, refused with exit 2 when missing or carrying characters no account email has. */
function emailOption(ctx: CommandContext): string {
  const v = ctx.values.email;
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError('--email is required');
  const problem = nameProblem(v);
  if (problem) throw new UsageError(`--email ${nameProblemMessage(problem)}`);
  return v.trim().toLowerCase();
}

/** The user with this email through the API (the list is admin-only and small). */
async function remoteUserByEmail(remote: Remote, email: string): Promise<UserListing> {
  const { users } = await callApi<{ users: UserListing[] }>(remote, 'GET', '/api/v1/users');
  const u = users.find((x) => x.email === email);
  if (!u) throw new HoldfastError('not_found', `no user with email ${email}`);
  return userListing(u);
}

async function changeUser(ctx: CommandContext, change: UserChange): Promise<UserListing> {
  const email = emailOption(ctx);
  if (ctx.remote) {
    const remote = ctx.remote;
    const u = await remoteUserByEmail(remote, email);
    return userListing(await callApi<UserListing>(remote, 'PATCH', `/api/v1/users/${u.id}`, change));
  }
  return ctx.withDb(async (db) => {
    const { findUserByEmail, updateUser } = await users();
    return userListing(await updateUser(db, (await findUserByEmail(db, email)).id, change, ACTOR));
  });
}

const describeUser = (u: UserListing) => `${u.email}  ${u.role}  ${u.disabled ? 'disabled' : 'active'}  (${u.id})`;

export const apikeyListCommand: Command = {
  name: 'apikey list',
  summary: 'list API keys (display stubs only; revoked keys too)',
  usage: 'holdfast apikey list [--json]',
  options: {},
  async run(ctx) {
    const rows = ctx.remote
      ? (await callApi<{ apiKeys: ApiKeyListingInput[] }>(ctx.remote, 'GET', '/api/v1/api-keys')).apiKeys.map(apiKeyListing)
      : (await ctx.withDb(async (db) => (await apiKeys()).listApiKeys(db))).map(apiKeyListing);
    emitLines(ctx.io, rows, (r) => {
      const k = r as ApiKeyListing;
      const what = k.ingestOnly ? `ingest only${k.source ? ` as ${k.source}` : ''}` : k.role;
      return `${k.id}  ${k.displayStub}  ${k.name}  ${what}  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}  last used ${k.lastUsedAt ?? 'never'}`;
    });
  },
};

export const apikeyRevokeCommand: Command = {
  name: 'apikey revoke',
  summary: 'revoke an API key (refused at once by every instance)',
  usage: 'holdfast apikey revoke --id ID [--json]',
  options: { id: { type: 'string' } },
  async run(ctx) {
    const id = ctx.values.id;
    if (typeof id !== 'string' || !isUuid(id)) throw new UsageError('--id must be an API key id (UUID; see holdfast apikey list)');
    const r = ctx.remote
      ? await callApi<{ id: string; name: string; displayStub: string; revokedAt: string; alreadyRevoked: boolean }>(ctx.remote, 'POST', `/api/v1/api-keys/${id}/revoke`)
      : await ctx.withDb(async (db) => (await apiKeys()).revokeApiKey(db, id, ACTOR));
    const out = { id: r.id, name: r.name, displayStub: r.displayStub, revokedAt: new Date(r.revokedAt).toISOString(), alreadyRevoked: r.alreadyRevoked };
    emit(ctx.io, out, () => `${out.alreadyRevoked ? 'already revoked' : 'revoked'} ${out.name} (${out.displayStub}) at ${out.revokedAt}`);
  },
};

export const userListCommand: Command = {
  name: 'user list',
  summary: 'list local accounts',
  usage: 'holdfast user list [--json]',
  options: {},
  async run(ctx) {
    const rows = ctx.remote ? (await callApi<{ users: UserListing[] }>(ctx.remote, 'GET', '/api/v1/users')).users.map(userListing) : (await ctx.withDb(async (db) => (await users()).listUsers(db))).map(userListing);
    emitLines(ctx.io, rows, (r) => describeUser(r as UserListing));
  },
};

export const userDisableCommand: Command = {
  name: 'user disable',
  summary: 'disable an account and end its sessions at once',
  usage: 'holdfast user disable --email E [--json]',
  options: { email: { type: 'string' } },
  async run(ctx) {
    const u = await changeUser(ctx, { disabled: true });
    emit(ctx.io, u, () => `disabled ${describeUser(u)}`);
  },
};

export const userEnableCommand: Command = {
  name: 'user enable',
  summary: 'enable a disabled account',
  usage: 'holdfast user enable --email E [--json]',
  options: { email: { type: 'string' } },
  async run(ctx) {
    const u = await changeUser(ctx, { disabled: false });
    emit(ctx.io, u, () => `enabled ${describeUser(u)}`);
  },
};

export const userRoleCommand: Command = {
  name: 'user role',
  summary: "change an account's role and end its sessions at once",
  usage: 'holdfast user role --email E --role analyst|operator|auditor|admin [--json]',
  options: { email: { type: 'string' }, role: { type: 'string' } },
  async run(ctx) {
    const role = roleOption(ctx.values.role);
    const u = await changeUser(ctx, { role });
    emit(ctx.io, u, () => `role of ${describeUser(u)}`);
  },
};

export const accessCommands: Command[] = [apikeyListCommand, apikeyRevokeCommand, userListCommand, userDisableCommand, userEnableCommand, userRoleCommand];
