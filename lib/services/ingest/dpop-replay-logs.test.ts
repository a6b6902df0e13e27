// DPoP replays as real gateways logged them (testing/dpop-replay-logs/README.md), through
// ingestStream on both runtimes: a same-second replay that Apache wrote as the very line of the
// original (two identical lines are two requests, a re-sent file is still all duplicates), and
// files ingested out of order (the earlier request is not a replay of a later one).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onEachRuntime } from '../../testing/databases.ts';
import { ingestStream } from './index.ts';
import { allEvents } from './testing/stored-events.ts';

const dir = join(import.meta.dirname, 'testing', 'dpop-replay-logs');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');
const APACHE_AUTHDPOP = `LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" \\"%{Authorization}i\\" \\"%{DPoP}i\\"" authdpop`;

describe('DPoP replays in real gateway logs', () => {
  it('two identical Apache lines (a replay in the same second) are two requests, the second jti_replay; the same file again is all duplicates', async () => {
    const log = read('r1-apache-identical-replay.log');
    const lines = log.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(lines[1]);
    await onEachRuntime(async (t) => {
      const send = (text: string) => ingestStream(t.db, [text], { format: 'apache', gatewayConfig: APACHE_AUTHDPOP, logFormat: 'authdpop', sourceName: 'ap', actor: 'test' });
      expect(await send(log)).toMatchObject({ linesRead: 2, accepted: 2, duplicates: 0, rejected: 0 });
      const verdicts = async () => (await allEvents(t.db)).map((e) => `${e.verdict}/${e.reason}`).sort();
      // The format logs no scheme or host: the valid proof's htu was compared on the path only.
      expect(await verdicts()).toEqual(['bound_not_enforced/jti_replay', 'ok/htu_path_only']);
      // Re-sent, and a file overlapping it (it starts with the same two lines): nothing new.
      expect(await send(log)).toMatchObject({ accepted: 0, duplicates: 2 });
      expect(await send(`${log}${lines[0]!.replace('/lax/c01-valid', '/lax/next')}\n`)).toMatchObject({ accepted: 1, duplicates: 2 });
      expect(await verdicts()).toHaveLength(3);
    });
  }, 180_000);

  it('files out of order: the later replays first, then the first uses — the first uses are not replays, the later copies are judged against them', async () => {
    const config = read('owner-a.cfg');
    await onEachRuntime(async (t) => {
      const send = (name: string) => ingestStream(t.db, [read(name)], { format: 'haproxy', gatewayConfig: config, sourceName: 'hap', actor: 'test' });
      expect(await send('r4-later-replays.log')).toMatchObject({ accepted: 2, rejected: 0 });
      expect(await send('r4-first-uses.log')).toMatchObject({ accepted: 4, rejected: 0 });
      const seen = (await allEvents(t.db)).map((e) => `${new Date(e.occurredAt).toISOString().slice(11, 23)} ${e.verdict}/${e.reason}`).sort();
      expect(seen).toEqual([
        '04:48:11.069 ok/null', // the first use of the /lax/ proof
        '04:48:11.079 bound_not_enforced/jti_replay', // its replay 10 ms later (same batch)
        '04:48:11.232 ok/null', // the first use of the /strict/ proof
        '04:48:11.239 proof_invalid/jti_replay',
        // Ingested first, before their originals were known: judged then, not re-judged (proofs-seen.ts).
        '04:48:28.409 ok/null',
        '04:48:28.415 ok/null',
      ]);
      // The kept uses are now the earliest: the later file sent again finds its copies replays (and duplicates).
      expect(await send('r4-later-replays.log')).toMatchObject({ accepted: 0, duplicates: 2 });
      const kept = await t.db.query<{ usedAt: Date | string }>(`SELECT "usedAt" FROM "evidence"."ProofSeen" ORDER BY "usedAt"`);
      expect(kept.map((r) => new Date(r.usedAt).toISOString().slice(11, 23))).toEqual(['04:48:11.069', '04:48:11.232']);
    });
  }, 180_000);
});
