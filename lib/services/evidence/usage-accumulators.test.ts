// The usage accumulators find a row by a hash of its dimensions: every dimension must tell rows
// apart, equal hashes must not merge rows, and `take` hands each row over once.
import { describe, expect, it } from 'vitest';
import { UsageAccumulators, type UsageAcc, type UsageDimNumbers } from './usage-accumulators.ts';

type Row = UsageDimNumbers & { tokenId: string | null; identityId: string | null };

const HOUR = 3_600_000;
const base: Row = { ns: 1, gateway: 2, route: 3, network: 4, cert: 5, jkt: null, reason: null, verdict: 0, tokenId: 'tok-a', identityId: 'id-a' };

function accumulators(hashMask?: number) {
  let made = 0;
  const acc = new UsageAccumulators<Row>((hour, row, tokenId, identityId): UsageAcc => {
    made++;
    const { ns, gateway, route, network, cert, jkt, reason, verdict } = row;
    return { hour, firstAt: hour, lastAt: hour, count: 0, d: { ns, gateway, route, network, cert, jkt, reason, verdict, tokenId, identityId }, aggKey: Buffer.alloc(0), exemplar: Buffer.alloc(0) };
  }, hashMask);
  const add = (hour: number, row: Row) => {
    const a = acc.find(hour, row, row.tokenId, row.identityId);
    a.count++;
    return a;
  };
  return { acc, add, made: () => made };
}

describe('UsageAccumulators', () => {
  it.each([undefined, 0])('finds the same accumulator for the same hour and dimensions, also from another object (hash mask %s)', (hashMask) => {
    const { acc, add, made } = accumulators(hashMask);
    const a = add(HOUR, base);
    const b = add(HOUR, { ...base, tokenId: ['tok', 'a'].join('-') });
    expect(b).toBe(a);
    expect(a.count).toBe(2);
    expect(made()).toBe(1);
    expect(acc.size).toBe(1);
  });

  const cases: Array<[string, (r: Row) => readonly [number, Row]]> = [
    ['hour', (r: Row) => [2 * HOUR, r] as const],
    ['ns', (r: Row) => [HOUR, { ...r, ns: 9 }] as const],
    ['gateway', (r: Row) => [HOUR, { ...r, gateway: 2 }] as const],
    ['route', (r: Row) => [HOUR, { ...r, route: 30 }] as const],
    ['network', (r: Row) => [HOUR, { ...r, network: 40 }] as const],
    ['cert', (r: Row) => [HOUR, { ...r, cert: null }] as const],
    ['jkt', (r: Row) => [HOUR, { ...r, jkt: 6 }] as const],
    ['reason', (r: Row) => [HOUR, { ...r, reason: 7 }] as const],
    ['verdict', (r: Row) => [HOUR, { ...r, verdict: 3 }] as const],
    ['token', (r: Row) => [HOUR, { ...r, tokenId: 'tok-b' }] as const],
    ['identity', (r: Row) => [HOUR, { ...r, identityId: null }] as const],
    // null and -1 hash alike (no dimension number is negative), and must still be two rows.
    ['gateway null vs -1', (r: Row) => [HOUR, { ...r, gateway: -1 }] as const],
  ];
  it.each(cases.flatMap(([name, change]) => [[name, change, undefined], [`${name}, every hash equal`, change, 0]] as Array<[string, (r: Row) => readonly [number, Row], number | undefined]>))('keeps rows that differ only in %s apart', (_name, change, hashMask) => {
    const { acc, add } = accumulators(hashMask);
    const [hour, other] = change({ ...base, gateway: null });
    const a = add(HOUR, { ...base, gateway: null });
    const b = add(hour, other);
    expect(b).not.toBe(a);
    expect(acc.size).toBe(2);
  });

  it('counts like a map keyed by the dimensions as text, over enough rows for 32-bit hashes to collide', () => {
    const { acc, add } = accumulators();
    const reference = new Map<string, number>();
    let seed = 12345;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let i = 0; i < 400_000; i++) {
      const row: Row = {
        ns: 1 + rand(3), gateway: rand(5) === 0 ? null : rand(40), route: rand(300), network: rand(400), cert: rand(2000), jkt: rand(10) === 0 ? rand(50) : null,
        reason: null, verdict: rand(4), tokenId: rand(3) === 0 ? null : `t${rand(500)}`, identityId: `i${rand(100)}`,
      };
      const hour = rand(3) * HOUR;
      add(hour, row);
      const k = JSON.stringify([hour, row.ns, row.gateway, row.route, row.network, row.cert, row.jkt, row.reason, row.verdict, row.tokenId, row.identityId]);
      reference.set(k, (reference.get(k) ?? 0) + 1);
    }
    expect(acc.size).toBe(reference.size);
    const got = acc.take();
    expect(acc.size).toBe(0);
    expect(got.length).toBe(reference.size);
    for (const a of got) {
      const k = JSON.stringify([a.hour, a.d.ns, a.d.gateway, a.d.route, a.d.network, a.d.cert, a.d.jkt, a.d.reason, a.d.verdict, a.d.tokenId, a.d.identityId]);
      expect(a.count).toBe(reference.get(k));
    }
  });

  it('starts empty again after take', () => {
    const { acc, add } = accumulators();
    const a = add(HOUR, base);
    expect(acc.take()).toEqual([a]);
    const b = add(HOUR, base);
    expect(b).not.toBe(a);
    expect(b.count).toBe(1);
    expect(acc.take()).toEqual([b]);
  });
});
