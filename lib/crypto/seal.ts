// Secrets at rest (connector client secrets, CA signing keys, an operator's raw token for
// RFC 7009) are sealed with AES-256-GCM under one 32-byte key. The sealed form is
// `v1.<iv>.<ciphertext>.<tag>` (base64url); `aad` binds a sealed value to where it lives, so a
// value copied from one row to another does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HoldfastError } from '../errors.ts';

const VERSION = 'v1';

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new HoldfastError('config_invalid', 'the secret key must be 32 bytes');
}

/** Seals a UTF-8 string with AES-256-GCM (random 96-bit IV). */
export function sealSecret(key: Buffer, plaintext: string, aad = ''): string {
  checkKey(key);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64url'), ct.toString('base64url'), tag.toString('base64url')].join('.');
}

/** Opens a value sealed by sealSecret; throws HoldfastError('internal') on a wrong key, aad or tampering. */
export function openSecret(key: Buffer, sealed: string, aad = ''): string {
  checkKey(key);
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new HoldfastError('internal', 'sealed secret has an unknown format');
  const [, iv, ct, tag] = parts as [string, string, string, string];
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  } catch {
    throw new HoldfastError('internal', 'sealed secret does not open with this key (HOLDFAST_SECRET_KEY changed?)');
  }
}

/** Parses HOLDFAST_SECRET_KEY: base64 (or base64url) of exactly 32 bytes. */
export function parseSecretKey(value: string): Buffer {
  const key = Buffer.from(value.trim(), value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
  if (key.length !== 32) {
    throw new HoldfastError('config_invalid', `HOLDFAST_SECRET_KEY: must be 32 bytes in base64 (got ${key.length}); make one with: openssl rand -base64 32`);
  }
  return key;
}

/**
 * The sealing key: HOLDFAST_SECRET_KEY when set; otherwise `secret.key` in the data directory,
 * created (mode 0600) on first use. The file fallback suits the embedded single-process
 * default; several instances sharing PostgreSQL must share HOLDFAST_SECRET_KEY instead.
 */
export function loadSecretKey(opts: { envValue: string | undefined; dataDir: string }): Buffer {
  if (opts.envValue && opts.envValue.trim() !== '') return parseSecretKey(opts.envValue);
  const file = path.join(opts.dataDir, 'secret.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new HoldfastError('config_invalid', `${file}: not a 32-byte base64 key`);
    return key;
  }
  const key = randomBytes(32);
  try {
    if (!existsSync(opts.dataDir)) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadSecretKey(opts);
    throw new HoldfastError('data_dir_unwritable', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  chmodSync(file, 0o600);
  return key;
}
