import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, openSecret, parseSecretKey, sealSecret } from './seal.ts';

const key = Buffer.alloc(32, 7);

describe('sealSecret / openSecret (AES-256-GCM)', () => {
  it('round-trips and never contains the plaintext', () => {
    const s = sealSecret(key, 'client-secret-123', 'connector:a');
    expect(s).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(s).not.toContain('client-secret-123');
    expect(openSecret(key, s, 'connector:a')).toBe('client-secret-123');
  });
  it('refuses another row (aad), another key and a flipped byte', () => {
    const s = sealSecret(key, 'x', 'connector:a');
    expect(() => openSecret(key, s, 'connector:b')).toThrow(/does not open/);
    expect(() => openSecret(Buffer.alloc(32, 8), s, 'connector:a')).toThrow(/does not open/);
    const parts = s.split('.');
    parts[2] = Buffer.from('y').toString('base64url');
    expect(() => openSecret(key, parts.join('.'), 'connector:a')).toThrow(/does not open/);
  });
  it('two seals of one value differ (random IV)', () => {
    expect(sealSecret(key, 'same')).not.toBe(sealSecret(key, 'same'));
  });
});

describe('loadSecretKey', () => {
  it('uses HOLDFAST_SECRET_KEY (32 bytes base64) and rejects other lengths with a config error', () => {
    const b64 = Buffer.alloc(32, 1).toString('base64');
    expect(loadSecretKey({ envValue: b64, dataDir: '/nonexistent' }).equals(Buffer.alloc(32, 1))).toBe(true);
    expect(() => parseSecretKey(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  });
  it('without the variable, creates secret.key (0600) in the data dir once and reuses it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-key-'));
    try {
      const a = loadSecretKey({ envValue: undefined, dataDir: dir });
      const file = path.join(dir, 'secret.key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(a)).toBe(true);
      expect(loadSecretKey({ envValue: '', dataDir: dir }).equals(a)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
