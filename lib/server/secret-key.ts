// The process-wide sealing key (lib/crypto/seal.ts), shared like the database handle through
// globalThis so the Next.js bundle and the server see the same one. HOLDFAST_SECRET_KEY, else
// `secret.key` in the data directory (created 0600 on first use).
import { loadConfig, readSetting, type Env } from '../config.ts';
import { loadSecretKey } from '../crypto/seal.ts';

const KEY = Symbol.for('holdfast.secretKey');
type Slot = { key?: Buffer };
const slot = ((globalThis as Record<symbol, unknown>)[KEY] ??= {}) as Slot;

export function registerSecretKey(key: Buffer | undefined): void {
  slot.key = key;
}

export function getSecretKey(env?: Env): Buffer {
  slot.key ??= loadSecretKey({ envValue: readSetting('HOLDFAST_SECRET_KEY', env), dataDir: loadConfig(env).dataDir });
  return slot.key;
}
