import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, readSetting, SETTING_NAMES, weakPasswordReason } from './config.ts';
import { HoldfastError } from './errors.ts';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(HoldfastError);
    expect((e as HoldfastError).code).toBe('config_invalid');
    return (e as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('defaults to the embedded database in ./.data on port 3000', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir.endsWith('.data')).toBe(true);
    expect(c.port).toBe(3000);
    expect(c.demo).toBe('auto');
    expect(c.simulationPreloadDays).toBe(30);
    expect(loadConfig({ HOLDFAST_SIMULATION_PRELOAD_DAYS: '0' }).simulationPreloadDays).toBe(0);
  });

  it.each([
    [{ DATABASE_URL: 'mysql://root@localhost/db' }, /^DATABASE_URL: must look like postgresql:\/\//],
    [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL:/],
    [{ PORT: '70000' }, /^PORT:/],
    [{ PORT: 'abc' }, /^PORT:/],
    [{ HOLDFAST_ADMIN_EMAIL: 'admin@example.com', HOLDFAST_ADMIN_PASSWORD: 'short' }, /^HOLDFAST_ADMIN_PASSWORD: must be at least 12 characters/],
    [{ HOLDFAST_ADMIN_EMAIL: 'admin@example.com', HOLDFAST_ADMIN_PASSWORD: 'password12345' }, /well-known/],
    [{ HOLDFAST_ADMIN_PASSWORD: 'a-long-enough-secret' }, /HOLDFAST_ADMIN_EMAIL is not/],
    [{ HOLDFAST_ADMIN_EMAIL: 'nope' }, /^HOLDFAST_ADMIN_EMAIL: must be an email/],
    [{ HOLDFAST_DEMO: 'sometimes' }, /^HOLDFAST_DEMO:/],
    [{ HOLDFAST_DPOP_NONCE: 'optional' }, /^HOLDFAST_DPOP_NONCE:/],
    [{ DATABASE_URL: 'postgresql://u@127.0.0.1:5432/h' }, /^HOLDFAST_SECRET_KEY is required with DATABASE_URL/],
    [{ HOLDFAST_SECRET_KEY: 'too-short' }, /^HOLDFAST_SECRET_KEY: must be 32 random bytes/],
    [{ HOLDFAST_SIMULATION_PRELOAD_DAYS: '401' }, /^HOLDFAST_SIMULATION_PRELOAD_DAYS: must be 0 \(off\) to 400 days/],
    [{ HOLDFAST_SIMULATION_PRELOAD_DAYS: '7.5' }, /^HOLDFAST_SIMULATION_PRELOAD_DAYS: must be a whole number of days/],
  ])('rejects %j with a one-line reason', (env, pattern) => {
    const msg = configError(env as Record<string, string>);
    expect(msg).toMatch(pattern);
    expect(msg).not.toContain('\n');
  });

  it('accepts a PostgreSQL URL', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@127.0.0.1:5432/holdfast', HOLDFAST_SECRET_KEY: key }).databaseUrl).toBe('postgresql://u@127.0.0.1:5432/holdfast');
  });
});

describe('weakPasswordReason', () => {
  it.each([
    ['aaaaaaaaaaaaaaa', 'must use at least 5 different characters'],
    ['short', 'must be at least 12 characters'],
    ['Holdfast-2026!', 'is a well-known password'],
  ])('refuses %s', (pw, why) => expect(weakPasswordReason(pw)).toBe(why));
  it('accepts a long passphrase', () => expect(weakPasswordReason('correct horse battery staple')).toBeNull());
});

describe('settings: declared once', () => {
  const root = path.resolve(import.meta.dirname, '..');

  it('the README settings table lists exactly the declared settings', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('### PostgreSQL mode'));
    const documented = new Set<string>();
    for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
      const names = row.split('|')[1]!;
      for (const m of names.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) documented.add(m[1]!);
    }
    expect([...documented].sort()).toEqual([...SETTING_NAMES].sort());
  });

  it('no module outside lib/config.ts reads process.env (tests and test support aside)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (!['generated', 'testing', 'node_modules'].includes(e.name)) walk(p);
        } else if (/\.(ts|tsx)$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && p !== path.join(root, 'lib', 'config.ts')) {
          if (/process\.env\b/.test(readFileSync(p, 'utf8').replace(/\/\/.*$/gm, ''))) offenders.push(path.relative(root, p));
        }
      }
    };
    walk(path.join(root, 'lib'));
    walk(path.join(root, 'app'));
    expect(offenders).toEqual([]);
  });

  it('readSetting: blank is the default, a bad value is one line naming the setting', () => {
    expect(readSetting('HOLDFAST_VIEW_CACHE_SECONDS', {})).toBe(5);
    expect(readSetting('HOLDFAST_VIEW_CACHE_SECONDS', { HOLDFAST_VIEW_CACHE_SECONDS: '  ' })).toBe(5);
    expect(readSetting('HOLDFAST_INGEST_RATE_PER_KEY', { HOLDFAST_INGEST_RATE_PER_KEY: '30' })).toBe(30);
    expect(() => readSetting('HOLDFAST_INGEST_RATE_PER_KEY', { HOLDFAST_INGEST_RATE_PER_KEY: '1.5' })).toThrow(/^HOLDFAST_INGEST_RATE_PER_KEY: must be a whole number/);
    expect(() => readSetting('HOLDFAST_INGEST_MAX_BYTES', { HOLDFAST_INGEST_MAX_BYTES: 'lots' })).toThrow(/^HOLDFAST_INGEST_MAX_BYTES: must be a number of bytes$/);
    expect(() => readSetting('HOLDFAST_TRUST_PROXY', { HOLDFAST_TRUST_PROXY: 'yes' })).toThrow(/^HOLDFAST_TRUST_PROXY:/);
  });

  it('loadConfig (the start) refuses a bad value of the settings that used to be read elsewhere', () => {
    expect(configError({ HOLDFAST_INGEST_MAX_BYTES: '-1' })).toMatch(/^HOLDFAST_INGEST_MAX_BYTES: must be at least 1 byte/);
    expect(configError({ HOLDFAST_INGEST_RATE_PER_IP: '0' })).toMatch(/^HOLDFAST_INGEST_RATE_PER_IP:/);
    expect(configError({ HOLDFAST_INGEST_CHUNK: 'big' })).toMatch(/^HOLDFAST_INGEST_CHUNK:/);
  });
});
