import { describe, expect, it } from 'vitest';
import type { EvaluateFindingsResult } from './evaluate.ts';
import { createCoalescingEvaluator } from './coalesce.ts';

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
