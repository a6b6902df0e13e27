// Why the recommended Caddy site logs no token: Caddy 2.6's log filter `hash`, the only way to log
// something of the Authorization header without the raw token, cannot give Holdfast a token's
// fingerprint. Checked on the real caddy (Debian's 2.6) with the same PKI-free plain HTTP site.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintToken } from '../binding/index.ts';
import { caddyTestGlobals, findCaddy, startCaddy } from '../testing/caddy.ts';
import { freePort } from '../testing/processes.ts';
import { caddySite } from './gateway-configs.ts';

const CADDY = findCaddy();
const IN_CI = process.env.CI === 'true';
if (!CADDY && !IN_CI) console.warn('caddy-hash-filter-real.test.ts: skipped — caddy is not installed; set CI=true to make this a failure');

/** Caddy's hash(): the first 4 bytes of SHA-256, as hex. */
const hash4 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

(CADDY || IN_CI ? describe : describe.skip)('Caddy 2.6 log filter `hash` on Authorization', () => {
  const token = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"svc-a"}').toString('base64url')}.c2lnLWhhc2g`;
  let dir = '';
  let logged = '';
  let text = '';

  beforeAll(async () => {
    if (!CADDY) throw new Error('CI=true but caddy is not installed');
    dir = mkdtempSync(join(tmpdir(), 'holdfast-caddy-hash-'));
    const port = await freePort();
    const globals = caddyTestGlobals(dir).replace('    protocols h1 h2\n', '    protocols h1 h2\n    log_credentials\n');
    const site = `http://:${port} {
  log {
    output file ${dir}/access.json
    format filter {
      wrap json
      fields {
        request>headers>Authorization hash
      }
    }
  }
  respond "ok"
}
`;
    const caddy = await startCaddy(CADDY, dir, `${globals}${site}`, [port]);
    const res = await fetch(`http://127.0.0.1:${port}/x`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    await caddy.stop();
    text = readFileSync(join(dir, 'access.json'), 'utf8');
    logged = (JSON.parse(text.trim().split('\n').at(-1)!) as { request: { headers: { Authorization: string[] } } }).request.headers.Authorization[0]!;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes 8 hex characters (32 bits) of SHA-256 of the whole header, scheme included — hashed twice by 2.6', () => {
    expect(text).not.toContain(token);
    expect(logged).toMatch(/^[0-9a-f]{8}$/);
    // 2.6.2 hashes the live header array in place, and the value is hashed again when encoded.
    expect([hash4(`Bearer ${token}`), hash4(hash4(`Bearer ${token}`))]).toContain(logged);
  });

  it('nothing in it can be matched to the token fingerprint Holdfast keeps (SHA-256 of the token alone)', () => {
    const fp = fingerprintToken(token);
    expect(logged).not.toBe(hash4(token));
    expect(Buffer.from(fp, 'base64url').toString('hex').startsWith(logged)).toBe(false);
  });

  it('the recommended site says so in its comments, and never turns log_credentials on', () => {
    const site = caddySite({ address: 'https://api.test', certFile: 'c', keyFile: 'k', caFile: 'ca', logFile: 'l', upstream: 'u' });
    expect(site).toMatch(/^# Holdfast: this log shows no token/);
    expect(site).toContain('`hash` is no substitute');
    expect(site).toContain("let the backend log the token's SHA-256");
    expect(site).not.toContain('log_credentials');
  });
});
