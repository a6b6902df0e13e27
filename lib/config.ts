// Configuration from the environment: every setting Holdfast reads is declared here, once, with
// its validation (the README's settings table is checked against this list by config.test.ts).
// The server validates all of them at start (loadConfig: a bad value stops it with one line);
// edges that need one setting later read it through readSetting, so no other module reads
// process.env. The pure core never reads the environment at all.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { HoldfastError } from './errors.ts';

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'must look like postgresql://user@host:5432/database');

const wholeNumber1To10M = z.coerce
  .number({ error: 'must be a whole number from 1 to 10000000' })
  .int('must be a whole number from 1 to 10000000')
  .min(1, 'must be a whole number from 1 to 10000000')
  .max(10_000_000, 'must be a whole number from 1 to 10000000')
  .optional();

const envSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  HOLDFAST_DATA_DIR: z.string().trim().min(1).default('./.data'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  HOLDFAST_ADMIN_EMAIL: z.string().trim().email('must be an email address').optional(),
  HOLDFAST_ADMIN_PASSWORD: z.string().optional(),
  HOLDFAST_PUBLIC_URL: z.string().url('must be an absolute URL such as https://holdfast.example.com').optional(),
  // auto: load the demo estate into an empty embedded database on first start (never on
  // PostgreSQL unless `always`). never / always override.
  HOLDFAST_DEMO: z.enum(['auto', 'never', 'always']).default('auto'),
  HOLDFAST_DEMO_SEED: z.coerce.number().int().min(0).default(42),
  HOLDFAST_SESSION_HOURS: z.coerce.number().min(0.1).max(24 * 30).default(12),
  HOLDFAST_TRUST_PROXY: z.enum(['0', '1']).default('0'),
  HOLDFAST_SIGNIN_LIMIT_PER_IP: z.coerce.number().int().min(1).max(100_000).default(20),
  // Read by lib/http/view-cache.ts on each request; validated here so a bad value stops the start.
  HOLDFAST_VIEW_CACHE_SECONDS: z.coerce.number().min(0, 'must be 0 (off) to 3600 seconds').max(3600, 'must be 0 (off) to 3600 seconds').default(5),
  // How far a gzip ingest body may inflate (app/api/v1/ingest/limits.ts reads it per request;
  // default 16× HOLDFAST_INGEST_MAX_BYTES). Validated here so a bad value stops the start.
  HOLDFAST_INGEST_MAX_INFLATED_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int('must be a whole number of bytes') // zod's int() also refuses values past 2^53
    .min(1024 * 1024, 'must be at least 1048576 (1 MiB)')
    .optional(),
  // Evidence retention (lib/services/evidence/partitions.ts): partitions older than these are dropped whole.
  HOLDFAST_REQUEST_WINDOW_DAYS: z.coerce.number().int('must be a whole number of days').min(1, 'must be 1 to 90 days').max(90, 'must be 1 to 90 days').default(7),
  HOLDFAST_USAGE_RETENTION_DAYS: z.coerce.number().int('must be a whole number of days').min(31, 'must be 31 to 3660 days').max(3660, 'must be 31 to 3660 days').default(400),
  HOLDFAST_NOTABLE_RETENTION_DAYS: z.coerce.number().int('must be a whole number of days').min(31, 'must be 31 to 3660 days').max(3660, 'must be 31 to 3660 days').default(400),
  // Usage columns the server reads into memory at start for simulations (lib/services/simulation/usage-cache.ts).
  HOLDFAST_SIMULATION_PRELOAD_DAYS: z.coerce.number().int('must be a whole number of days').min(0, 'must be 0 (off) to 400 days').max(400, 'must be 0 (off) to 400 days').default(30),
  // DPoP-bound API keys: proofs must carry a server nonce (RFC 9449 §8; read by lib/http/request-auth.ts).
  HOLDFAST_DPOP_NONCE: z.enum(['required', 'off']).default('required'),
  HOLDFAST_SECRET_KEY: z
    .string()
    .trim()
    .refine((v) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, 'must be 32 random bytes in base64 (openssl rand -base64 32)')
    .optional(),
  // Where the audit anchor (the chain head, MAC'd) is kept, outside the database: lib/audit/anchoring.ts.
  HOLDFAST_AUDIT_ANCHOR_FILE: z.string().trim().min(1).optional(),
  // Largest ingest body on the wire (app/api/v1/ingest/limits.ts; default 1 GiB there).
  HOLDFAST_INGEST_MAX_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int('must be a whole number of bytes')
    .min(1, 'must be at least 1 byte')
    .optional(),
  // Ingest back-pressure (lib/http/ingest-gate.ts): budgets per key and per address, batches in flight.
  HOLDFAST_INGEST_RATE_PER_KEY: wholeNumber1To10M,
  HOLDFAST_INGEST_RATE_PER_IP: wholeNumber1To10M,
  HOLDFAST_INGEST_MAX_CONCURRENT: wholeNumber1To10M,
  // Single sign-on (lib/auth/oidc.ts checks that they go together and parses the user map).
  HOLDFAST_OIDC_ISSUER: z.string().trim().optional(),
  HOLDFAST_OIDC_CLIENT_ID: z.string().trim().optional(),
  HOLDFAST_OIDC_CLIENT_SECRET: z.string().trim().optional(),
  HOLDFAST_OIDC_USERS: z.string().optional(),
  HOLDFAST_OIDC_ROLE_CLAIM: z.string().trim().optional(),
  HOLDFAST_OIDC_SCOPE: z.string().trim().optional(),
  // The CLI's settings: the API key and DPoP key file for --server, and the ingest chunk size.
  HOLDFAST_API_KEY: z.string().trim().optional(),
  HOLDFAST_DPOP_KEY_FILE: z.string().trim().optional(),
  HOLDFAST_INGEST_CHUNK: z.coerce.number({ error: 'must be a number of lines' }).int('must be a whole number of lines').min(1, 'must be at least 1 line').max(1_000_000, 'must be at most 1000000 lines').optional(),
});

/** Every setting's name. */
export type SettingName = keyof typeof envSchema.shape;
export const SETTING_NAMES = Object.keys(envSchema.shape) as SettingName[];

/**
 * One setting, validated by its declaration above; unset or blank gives its default (or
 * undefined). A bad value throws config_invalid `NAME: reason` (the server already refused to
 * start with it, so at run time this only re-reads what was checked).
 */
export function readSetting<K extends SettingName>(name: K, env: Env = process.env): z.output<(typeof envSchema.shape)[K]> {
  const raw = env[name];
  // Read on every request by some callers (trusted proxy, view cache): the parse is kept per raw value.
  const hit = parsedSettings.get(name);
  if (hit && hit.raw === raw) return hit.value as z.output<(typeof envSchema.shape)[K]>;
  const r = envSchema.shape[name].safeParse(raw === undefined || raw.trim() === '' ? undefined : raw);
  if (!r.success) throw new HoldfastError('config_invalid', `${name}: ${r.error.issues[0]!.message}`);
  parsedSettings.set(name, { raw, value: r.data });
  return r.data as z.output<(typeof envSchema.shape)[K]>;
}

const parsedSettings = new Map<SettingName, { raw: string | undefined; value: unknown }>();

export type HoldfastConfig = {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  publicUrl: string | undefined;
  demo: 'auto' | 'never' | 'always';
  demoSeed: number;
  sessionHours: number;
  signInLimitPerIp: number;
  /** How long request evidence is kept: the ledger's dedupe window, hourly usage, notable requests (days). */
  retention: { requestWindowDays: number; usageRetentionDays: number; notableRetentionDays: number };
  /** Days of usage the server reads into memory at start for simulations (0: none; the first simulation reads them). */
  simulationPreloadDays: number;
  /** Audit anchor file: HOLDFAST_AUDIT_ANCHOR_FILE, else audit-anchor.json in the embedded data directory; none on PostgreSQL unless set. */
  auditAnchorFile: string | null;
};

/** Why a password is too weak, or null. Kept small and explicit: length beats rules. */
export function weakPasswordReason(pw: string): string | null {
  if (pw.length < 12) return 'must be at least 12 characters';
  if (pw.length > 1024) return 'must be at most 1024 characters';
  if (new Set(pw).size < 5) return 'must use at least 5 different characters';
  if (/^(password|holdfast|admin|changeme|letmein|qwerty)/i.test(pw)) return 'is a well-known password';
  return null;
}

export type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): HoldfastConfig {
  const raw = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => v !== undefined && v.trim() !== '' && k in envSchema.shape),
  );
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new HoldfastError('config_invalid', `${first.path.join('.')}: ${first.message}`);
  }
  const c = parsed.data;
  // Several app instances share one PostgreSQL database and must open each other's sealed
  // connector secrets: a per-host key file cannot work there, so the key must be configured.
  if (c.DATABASE_URL && !c.HOLDFAST_SECRET_KEY) {
    throw new HoldfastError('config_invalid', 'HOLDFAST_SECRET_KEY is required with DATABASE_URL (generate one: openssl rand -base64 32)');
  }
  if (c.HOLDFAST_ADMIN_PASSWORD !== undefined) {
    const why = weakPasswordReason(c.HOLDFAST_ADMIN_PASSWORD);
    if (why) throw new HoldfastError('config_invalid', `HOLDFAST_ADMIN_PASSWORD: ${why}`);
    if (!c.HOLDFAST_ADMIN_EMAIL) {
      throw new HoldfastError('config_invalid', 'HOLDFAST_ADMIN_PASSWORD is set but HOLDFAST_ADMIN_EMAIL is not');
    }
  }
  const dataDir = path.resolve(c.HOLDFAST_DATA_DIR);
  return {
    databaseUrl: c.DATABASE_URL,
    dataDir,
    port: c.PORT,
    host: c.HOST,
    adminEmail: c.HOLDFAST_ADMIN_EMAIL?.toLowerCase(),
    adminPassword: c.HOLDFAST_ADMIN_PASSWORD,
    publicUrl: c.HOLDFAST_PUBLIC_URL,
    demo: c.HOLDFAST_DEMO,
    demoSeed: c.HOLDFAST_DEMO_SEED,
    sessionHours: c.HOLDFAST_SESSION_HOURS,
    signInLimitPerIp: c.HOLDFAST_SIGNIN_LIMIT_PER_IP,
    retention: { requestWindowDays: c.HOLDFAST_REQUEST_WINDOW_DAYS, usageRetentionDays: c.HOLDFAST_USAGE_RETENTION_DAYS, notableRetentionDays: c.HOLDFAST_NOTABLE_RETENTION_DAYS },
    simulationPreloadDays: c.HOLDFAST_SIMULATION_PRELOAD_DAYS,
    auditAnchorFile: auditAnchorFile(c.HOLDFAST_AUDIT_ANCHOR_FILE, c.DATABASE_URL, dataDir),
  };
}

/**
 * The anchor must live where the database's writers cannot reach, and must be writable by the
 * app: a file in an existing directory. The embedded default sits beside the database files
 * (it still catches an attacker who can only run SQL); on PostgreSQL there is no default,
 * because an app instance's directory is not tied to one database.
 */
function auditAnchorFile(value: string | undefined, databaseUrl: string | undefined, dataDir: string): string | null {
  if (value === undefined) return databaseUrl ? null : path.join(dataDir, 'audit-anchor.json');
  const file = path.resolve(value);
  const dir = path.dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new HoldfastError('config_invalid', `HOLDFAST_AUDIT_ANCHOR_FILE: directory ${dir} does not exist`);
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new HoldfastError('config_invalid', `HOLDFAST_AUDIT_ANCHOR_FILE: ${file} is a directory; name a file in it`);
  }
  return file;
}
