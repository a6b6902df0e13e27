import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DenseIds, SegmentBuilder, topKeys, UuidIndex, uuidBytes } from './usage-columns.ts';

describe('UuidIndex', () => {
  it('gives each uuid one slot, finds it again, orders slots as PostgreSQL orders uuids (NULL last)', () => {
    const idx = new UuidIndex();
    const ids = Array.from({ length: 5000 }, () => randomUUID());
    const slots = ids.map((id) => idx.slotOfText(id));
    expect(new Set(slots).size).toBe(ids.length);
    expect(ids.map((id) => idx.slotOf(uuidBytes(id), 0))).toEqual(slots);
    expect(ids.map((id) => idx.find(id))).toEqual(slots);
    expect(idx.find(randomUUID())).toBe(-1);
    expect(slots.map((s) => idx.text(s))).toEqual(ids);
    const bySlots = [...slots, 0].sort((a, b) => idx.compare(a, b)).map((s) => idx.text(s));
    expect(bySlots).toEqual([...[...ids].sort(), null]);
    expect(idx.slotOfText(null)).toBe(0);
  });
});

describe('SegmentBuilder', () => {
  it('keeps every row and its exemplar through growth', () => {
    const b = new SegmentBuilder(3_600_000);
    for (let i = 0; i < 1000; i++) {
      b.add({ tok: i, idn: i + 1, ns: 1, gateway: 2, route: 3, network: i % 7, cert: i * 3, jkt: i % 2 ? 0 : i, reason: 1000 - i, verdict: i % 9, flags: i % 8, count: i * 1.5, exBuf: Buffer.from([9, i & 255, i >> 8, 9]), exOff: 1, exLen: i % 3 ? 2 : 0 });
    }
    const s = b.build();
    expect(s.length).toBe(1000);
    expect(s.count[999]).toBe(1498.5);
    expect(s.network[998]).toBe(998 % 7);
    expect([s.cert[999], s.jkt[998], s.jkt[999], s.reason[997]]).toEqual([2997, 998, 0, 3]);
    expect([...s.exData.subarray(s.exStart[998]!, s.exStart[999]!)]).toEqual([998 & 255, 998 >> 8]);
    expect(s.exStart[1000]! - s.exStart[999]!).toBe(0);
    expect(s.exHi[998]).toBe((998 & 255) * 2 ** 40 + (998 >> 8) * 2 ** 32);
    expect(s.exHi[999]).toBe(-1);
  });
});

describe('DenseIds', () => {
  it('maps NULL to 0 and ids to slots; membership over slots', () => {
    const d = new DenseIds();
    expect([d.slotOf(null), d.slotOf(40), d.slotOf(7), d.slotOf(40)]).toEqual([0, 1, 2, 1]);
    expect([...d.members([7, 99])!]).toEqual([0, 0, 1]);
    expect(d.members(null)).toBeNull();
    expect(d.find(99)).toBe(-1);
  });
});

it('topKeys ranks by refused, legitimate broken, requests, then the tie order, among keys with requests', () => {
  const r = { n: Float64Array.from([5, 0, 9, 9, 9, 4]), w: Float64Array.from([1, 0, 3, 3, 3, 3]), c1: Float64Array.from([0, 0, 1, 2, 2, 2]) };
  expect(topKeys(r, 3, (a, b) => b - a)).toEqual({ keys: [4, 3, 5], count: 5 });
  expect(topKeys(r, 10, (a, b) => a - b).keys).toEqual([3, 4, 5, 2, 0]);
});
