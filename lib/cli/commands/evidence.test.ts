// `holdfast evidence storage|holds|hold|release` through the real binary on an embedded database:
// what the store keeps (JSON and text), a hold
// placed, listed and released (JSON and text), releasing again changes nothing, one that reaches
// back (--since), and bad input — no reason, a blank or over-long one, a bad --since, an id that is no UUID, an unknown hold — exits non-zero with one
// line and places nothing. The API behind --server: lib/services/evidence/holds.test.ts and
// e2e/evidence-store.spec.ts.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLine, jsonLines } from '../../testing/cli-output.ts';
import { runCli } from '../../testing/processes.ts';

describe('holdfast evidence holds on the embedded database', () => {
  let dir = '';
  let env: Record<string, string>;
  const cli = (args: string[]) => runCli(args, { env, timeoutMs: 180_000 });
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-cli-holds-'));
    env = { HOLDFAST_DATA_DIR: path.join(dir, 'data') };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('places, lists and releases a hold; releasing again changes nothing', async () => {
    const placed = await cli(['evidence', 'hold', '--reason', 'INC-2291: suspected token theft', '--json']);
    expect(placed.code, placed.stderr).toBe(0);
    const out = JSON.parse(placed.stdout) as { hold: { id: string; reason: string; createdBy: string; releasedAt: null }; inForce: number };
    expect(out).toMatchObject({ hold: { reason: 'INC-2291: suspected token theft', createdBy: 'cli', releasedAt: null }, inForce: 1 });

    const list = await cli(['evidence', 'holds', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(jsonLines(list)).toEqual([expect.objectContaining({ id: out.hold.id, reason: 'INC-2291: suspected token theft', releasedAt: null })]);
    const text = await cli(['evidence', 'holds']);
    expect(text.stdout).toMatch(new RegExp(`^${out.hold.id}  IN FORCE  placed \\S+ by cli: INC-2291: suspected token theft\\n$`));

    const released = await cli(['evidence', 'release', '--id', out.hold.id]);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toBe(`released: evidence hold ${out.hold.id}\nno hold in force: retention resumes at the next maintenance run\n`);
    const again = await cli(['evidence', 'release', '--id', out.hold.id, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyReleased: true, inForce: 0, hold: { id: out.hold.id, releasedBy: 'cli' } });

    // A hold that reaches back: the text says what ingest keeps, the list shows how far back.
    const reaching = await cli(['evidence', 'hold', '--reason', 'LH-7', '--since', '2024-03-01']);
    expect(reaching.code, reaching.stderr).toBe(0);
    expect(reaching.stdout).toMatch(/^placed evidence hold [0-9a-f-]{36}\ningest keeps lines from 2024-03-01T00:00:00.000Z on while it is in force, even past retention\n1 hold in force: /);
    expect(jsonLines(await cli(['evidence', 'holds', '--json']))[0]).toMatchObject({ reason: 'LH-7', since: '2024-03-01T00:00:00.000Z', releasedAt: null });
  }, 300_000);

  it('evidence storage: every store with its retention, partitions, rows, size and next drop; whether retention is paused', async () => {
    const json = await cli(['evidence', 'storage', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const v = JSON.parse(json.stdout) as { retention: Record<string, number>; held: boolean; stores: Array<{ table: string; keptDays: number; setting: string }> };
    expect(v.retention).toEqual({ requestWindowDays: 7, usageRetentionDays: 400, notableRetentionDays: 400 });
    expect(v.stores.map((x) => [x.table, x.keptDays, x.setting])).toEqual([
      ['Request', 7, 'HOLDFAST_REQUEST_WINDOW_DAYS'], ['Usage', 400, 'HOLDFAST_USAGE_RETENTION_DAYS'], ['Notable', 400, 'HOLDFAST_NOTABLE_RETENTION_DAYS'],
      ['Hop', 7, 'HOLDFAST_REQUEST_WINDOW_DAYS'], ['HopUsage', 400, 'HOLDFAST_USAGE_RETENTION_DAYS'],
    ]);
    // The hold that reaches back (placed above) is still in force.
    expect(v.held).toBe(true);
    const text = await cli(['evidence', 'storage']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Request ledger: 7 days \(HOLDFAST_REQUEST_WINDOW_DAYS\), \d+ partitions?, ~?[\d,]+ rows, [\d.]+ [KMG]iB, oldest /m);
    expect(text.stdout).toContain('retention is paused: 1 evidence hold in force; ingest keeps lines from 2024-03-01T00:00:00.000Z on\n');
  }, 300_000);

  it('refuses bad input with one line and places nothing', async () => {
    const before = jsonLines(await cli(['evidence', 'holds', '--json'])).length;
    expectOneLine(await cli(['evidence', 'hold']), 2, /^holdfast: --reason TEXT is required/);
    expectOneLine(await cli(['evidence', 'hold', '--reason', '   ']), 2, /^holdfast: --reason: a hold needs a reason/);
    expectOneLine(await cli(['evidence', 'hold', '--reason', 'x'.repeat(501)]), 2, /^holdfast: --reason: a hold's reason is at most 500 characters$/);
    expectOneLine(await cli(['evidence', 'hold', '--reason', 'ok', '--since', '2024-02-31']), 2, /^holdfast: --since is not a calendar date: 2024-02-31$/);
    expectOneLine(await cli(['evidence', 'hold', '--reason', 'ok', '--since', '2999-01-01']), 2, /^holdfast: --since is in the future/);
    expectOneLine(await cli(['evidence', 'hold', '--reason', 'ok', '--since', 'last week']), 2, /^holdfast: --since must be an ISO 8601 date/);
    expectOneLine(await cli(['evidence', 'release', '--id', 'nope']), 2, /^holdfast: --id must be an evidence hold id/);
    expectOneLine(await cli(['evidence', 'release', '--id', randomUUID()]), 1, /^holdfast: no evidence hold [0-9a-f-]{36}$/);
    expect(jsonLines(await cli(['evidence', 'holds', '--json'])).length).toBe(before);
  }, 300_000);
});
