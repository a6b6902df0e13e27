import { describe, expect, it } from 'vitest';
import type { EvaluateFindingsResult } from './evaluate.ts';
import { createCoalescingEvaluator, mergeScopes, tokensToEvaluate, type EvaluationScope } from './coalesce.ts';
import { openTestDatabase } from '../../testing/databases.ts';

const result = (n: number) => ({ evaluatedAt: String(n) }) as unknown as EvaluateFindingsResult;

describe('coalesced findings evaluation', () => {
  it('runs one evaluation at a time, and one more for every request made while it ran', async () => {
    const started: string[] = [];
    const gates: Array<() => void> = [];
    const ev = createCoalescingEvaluator(
      async (actor) => {
        started.push(actor);
        await new Promise<void>((r) => gates.push(r));
        return result(started.length);
      },
      { minSpacingMs: 0, maxDuty: 1 },
    );
    const a = ev.request('a');
    await new Promise((r) => setTimeout(r, 5));
    // b, c, d commit while the first evaluation runs: one evaluation after it serves all three.
    const [b, c, d] = [ev.request('b'), ev.request('c'), ev.request('d')];
    expect(started).toEqual(['a']);
    gates.shift()!();
    expect((await a).evaluatedAt).toBe('1');
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(['a', 'b']);
    gates.shift()!();
    const [rb, rc, rd] = await Promise.all([b, c, d]);
    expect([rb.evaluatedAt, rc.evaluatedAt, rd.evaluatedAt]).toEqual(['2', '2', '2']);
    expect(ev.runs).toBe(2);
  });

  it('a request while idle starts at once; a failure reaches its waiters and the next request runs again', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const ev = createCoalescingEvaluator(
      async () => {
        calls++;
        if (calls === 1) throw new Error('database went away');
        return result(calls);
      },
      { minSpacingMs: 0, onError: (e) => errors.push(e) },
    );
    await expect(ev.request('x')).rejects.toThrow('database went away');
    expect(errors).toHaveLength(1);
    expect((await ev.request('y')).evaluatedAt).toBe('2');
  });

  it('spaces evaluations under sustained requests', async () => {
    const starts: number[] = [];
    const ev = createCoalescingEvaluator(
      async () => {
        starts.push(Date.now());
        return result(starts.length);
      },
      { minSpacingMs: 150 },
    );
    await ev.request('a');
    await ev.request('b');
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(140);
  });

  it('keeps background evaluations to the duty cycle; a waiting caller is held only by the spacing', async () => {
    const spans: Array<[number, number]> = [];
    const ev = createCoalescingEvaluator(
      async () => {
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, 100));
        spans.push([t0, Date.now()]);
        return result(spans.length);
      },
      { minSpacingMs: 0, maxDuty: 0.25 },
    );
    await ev.request('a');
    // Background: a 100 ms evaluation at 25 % duty → the next starts ≥ 300 ms after it ended.
    await ev.request('b');
    expect(spans[1]![0] - spans[0]![1]).toBeGreaterThanOrEqual(290);
    // A caller that waits for its findings is not held back by the duty cycle.
    const t = Date.now();
    await ev.request('c', { waiting: true });
    expect(spans[2]![0] - t).toBeLessThan(150);
    // …and one that joins a sleeping background request wakes it.
    const bg = ev.request('d');
    await new Promise((r) => setTimeout(r, 20));
    const t2 = Date.now();
    const w = ev.request('e', { waiting: true });
    expect(await w).toBe(await bg);
    expect(spans[3]![0] - t2).toBeLessThan(270);
    expect(ev.runs).toBe(4);
  });
});

describe('what a coalesced evaluation covers', () => {
  it('merges the scopes of the requests it serves; one request for the whole estate makes it whole', async () => {
    const scopes: EvaluationScope[] = [];
    const gates: Array<() => void> = [];
    const ev = createCoalescingEvaluator(
      async (_actor, scope) => {
        scopes.push(scope);
        await new Promise<void>((r) => gates.push(r));
        return result(scopes.length);
      },
      { minSpacingMs: 0, maxDuty: 1 },
    );
    const a = ev.request('a', { scope: new Set(['t1']) });
    await new Promise((r) => setTimeout(r, 5));
    const b = ev.request('b', { scope: new Set(['t2']) });
    const c = ev.request('c', { scope: new Set(['t3', 't2']) });
    gates.shift()!();
    await a;
    await new Promise((r) => setTimeout(r, 5));
    const d = ev.request('d', { scope: 'estate' });
    gates.shift()!();
    await Promise.all([b, c]);
    await new Promise((r) => setTimeout(r, 5));
    gates.shift()!();
    await d;
    expect(scopes.map((s) => (s === 'estate' ? s : [...s].sort()))).toEqual([['t1'], ['t2', 't3'], 'estate']);
    expect(mergeScopes(new Set(['x']), 'estate')).toBe('estate');
  });

  it('is scoped only on a large estate, for a small scope, while the whole estate was evaluated recently', async () => {
    const t = await openTestDatabase('pglite');
    try {
      await t.db.query(`INSERT INTO "TokenCount" (binding, status, exposure, privileged, count) VALUES ('bearer', 'active', 'none', false, 60000)`);
      const now = 1_000_000_000;
      const scope = new Set(['a', 'b']);
      expect(await tokensToEvaluate(t.db, scope, now - 60_000, now)).toEqual(['a', 'b']);
      expect(await tokensToEvaluate(t.db, 'estate', now - 60_000, now)).toBeNull();
      // The whole estate is due (never evaluated, or too long ago).
      expect(await tokensToEvaluate(t.db, scope, -Infinity, now)).toBeNull();
      expect(await tokensToEvaluate(t.db, scope, now - 16 * 60_000, now)).toBeNull();
      // A small estate is always evaluated whole.
      expect(await tokensToEvaluate(t.db, scope, now - 60_000, now, { scopedFromTokens: 70_000 })).toBeNull();
    } finally {
      await t.drop();
    }
  });
});
