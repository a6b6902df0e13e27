// `holdfast tokens | findings | events` through the real binary on an embedded database with
// the demo estate: JSON lines in exactly the CONTRACT.md shapes, filters, exit 2 on bad input.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/processes.ts';

const lines = (out: string) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('holdfast tokens / findings / events', () => {
  let dir = '';
  let env: Record<string, string>;
  let summary: { tokens: { unboundHighRisk: number }; findings: Record<string, number> };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-cli-estate-'));
    env = { HOLDFAST_DATA_DIR: dir };
    const seed = await runCli(['seed', '--demo', '--json'], { env, timeoutMs: 180_000 });
    expect(seed.code, seed.stderr).toBe(0);
    const s = await runCli(['summary', '--json'], { env });
    summary = JSON.parse(s.stdout);
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tokens --binding bearer --risk high: one contract-shaped line per unbound high-risk token (the summary count)', async () => {
    const r = await runCli(['tokens', '--binding', 'bearer', '--risk', 'high', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const rows = lines(r.stdout);
    expect(rows.length).toBe(summary.tokens.unboundHighRisk);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['binding', 'expiresAt', 'exposure', 'fingerprint', 'id', 'identity', 'jti', 'revocationState', 'status', 'ttlSeconds'].sort());
      expect(row.binding).toBe('bearer');
    }
    const limited = await runCli(['tokens', '--limit', '3', '--json'], { env });
    expect(lines(limited.stdout).length).toBe(3);
  });

  it('findings --rule: contract shape, as many as the summary counts for the rule', async () => {
    const r = await runCli(['findings', '--rule', 'exposed_active', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const rows = lines(r.stdout);
    expect(rows.length).toBe(summary.findings.exposed_active);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['id', 'identity', 'rule', 'severity', 'status', 'tokenId']);
      expect(row.rule).toBe('exposed_active');
    }
  });

  it('events --verdict --limit: contract shape, newest first; --request-id finds the event', async () => {
    const r = await runCli(['events', '--verdict', 'proof_invalid', '--limit', '20', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const rows = lines(r.stdout);
    expect(rows.length).toBe(20);
    for (const row of rows) {
      // Exactly CONTRACT.md's fields.
      expect(Object.keys(row).sort()).toEqual(['id', 'requestId', 'correlationId', 'source', 'occurredAt', 'identity', 'tokenFingerprint', 'x5tS256', 'jkt', 'verdict', 'reason', 'chainVerdict'].sort());
      expect(row.verdict).toBe('proof_invalid');
    }
    const rid = rows.find((x) => x.requestId)?.requestId as string | undefined;
    if (rid) {
      const one = await runCli(['events', '--request-id', rid, '--json'], { env });
      expect(lines(one.stdout).every((x) => x.requestId === rid)).toBe(true);
    }
  });

  it('events --network / --route-prefix / --source: the API\'s filters, the contract\'s shape', async () => {
    // The demo's replay spike comes from 203.0.113.0/24 (lib/seed/demo-estate.ts).
    const spike = await runCli(['events', '--failures', 'any', '--network', '203.0.113.0', '--limit', '50', '--json'], { env });
    expect(spike.code, spike.stderr).toBe(0);
    const rows = lines(spike.stdout);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['id', 'requestId', 'correlationId', 'source', 'occurredAt', 'identity', 'tokenFingerprint', 'x5tS256', 'jkt', 'verdict', 'reason', 'chainVerdict'].sort());
      expect(row.verdict).not.toBe('ok');
    }
    for (const args of [['--network', '100.64.255.0'], ['--route', 'nowhere.test /api'], ['--route-prefix', 'nowhere.test/api'], ['--source', 'no-such-source']]) {
      const none = await runCli(['events', '--failures', 'all', ...args, '--json'], { env });
      expect({ args, code: none.code, out: none.stdout }).toEqual({ args, code: 0, out: '' });
    }
  });

  it('exits 2 with one line on bad filters', async () => {
    for (const args of [
      ['tokens', '--binding', 'pigeon'], ['findings', '--rule', 'nope'], ['events', '--verdict', 'maybe'], ['tokens', '--limit', '0'],
      ['events', '--network', '203.0.113.0/24'], ['events', '--route', 'api.example.com/v1'], ['events', '--route-prefix', 'api.example.com /v1'], ['events', '--failures', 'some'],
    ]) {
      const r = await runCli([...args, '--json'], { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
