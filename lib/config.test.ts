import { describe, expect, it } from 'vitest';
import { loadConfig, weakPasswordReason } from './config.ts';
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
