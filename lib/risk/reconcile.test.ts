import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Severity } from '../domain/types.ts';
import { at, DAY, NOW } from './testing/facts.ts';
import { canonicalJson, reconcile, type ExistingFinding } from './reconcile.ts';
import type { FindingDraft } from './snapshot.ts';

function draft(dedupeKey: string, over: Partial<FindingDraft> = {}): FindingDraft {
  return {
    dedupeKey,
    rule: 'unbound_high_risk',
    severity: 'high',
    identityId: 'id-svc',
    tokenId: 'tok-1',
    certificateId: null,
    title: 't',
    explanation: 'e',
    recommendation: 'r',
    evidence: { tokenId: 'tok-1', reasons: ['privileged_scope'] },
    blastRadius: 6,
    observedAt: NOW,
    ...over,
  };
}

function stored(dedupeKey: string, over: Partial<ExistingFinding> = {}): ExistingFinding {
  return {
    id: `f-${dedupeKey}`,
    dedupeKey,
    rule: 'unbound_high_risk',
    severity: 'high',
    status: 'open',
    ackUntil: null,
    blastRadius: 6,
    evidence: { reasons: ['privileged_scope'], tokenId: 'tok-1' },
    ...over,
  };
}

const summary = (r: ReturnType<typeof reconcile>) => ({
  toOpen: r.toOpen.map((d) => d.dedupeKey),
  toUpdate: r.toUpdate.map((u) => `${u.id}:${u.status}:${u.changed ? 'changed' : 'same'}`),
  toResolve: r.toResolve.map((x) => x.id),
  toReopen: r.toReopen.map((x) => `${x.id}:${x.reason}`),
});

describe('reconcile', () => {
  const cases: { name: string; existing: ExistingFinding[]; drafts: FindingDraft[]; want: ReturnType<typeof summary> }[] = [
    {
      name: 'opens a finding that is not stored yet',
      existing: [],
      drafts: [draft('k1')],
      want: { toOpen: ['k1'], toUpdate: [], toResolve: [], toReopen: [] },
    },
    {
      name: 'updates an open finding whose evidence is unchanged (key order from jsonb does not count as a change)',
      existing: [stored('k1')],
      drafts: [draft('k1')],
      want: { toOpen: [], toUpdate: ['f-k1:open:same'], toResolve: [], toReopen: [] },
    },
    {
      name: 'marks an open finding changed when its severity rose',
      existing: [stored('k1')],
      drafts: [draft('k1', { severity: 'critical' })],
      want: { toOpen: [], toUpdate: ['f-k1:open:changed'], toResolve: [], toReopen: [] },
    },
    {
      name: 'resolves an open finding whose evidence disappeared',
      existing: [stored('k1')],
      drafts: [],
      want: { toOpen: [], toUpdate: [], toResolve: ['f-k1'], toReopen: [] },
    },
    {
      name: 'keeps an acknowledged finding acknowledged while ackUntil is in the future',
      existing: [stored('k1', { status: 'acknowledged', ackUntil: at(DAY) })],
      drafts: [draft('k1')],
      want: { toOpen: [], toUpdate: ['f-k1:acknowledged:same'], toResolve: [], toReopen: [] },
    },
    {
      name: 'keeps an acknowledgement without expiry in force',
      existing: [stored('k1', { status: 'acknowledged', ackUntil: null })],
      drafts: [draft('k1')],
      want: { toOpen: [], toUpdate: ['f-k1:acknowledged:same'], toResolve: [], toReopen: [] },
    },
    {
      name: 'reopens an acknowledged finding whose ackUntil has passed while the evidence remains',
      existing: [stored('k1', { status: 'acknowledged', ackUntil: at(-1) })],
      drafts: [draft('k1')],
      want: { toOpen: [], toUpdate: [], toResolve: [], toReopen: ['f-k1:ack_expired'] },
    },
    {
      name: 'reopens an acknowledgement exactly at ackUntil',
      existing: [stored('k1', { status: 'acknowledged', ackUntil: NOW })],
      drafts: [draft('k1')],
      want: { toOpen: [], toUpdate: [], toResolve: [], toReopen: ['f-k1:ack_expired'] },
    },
    {
      name: 'reopens an acknowledged high finding that became critical (more risk than was accepted)',
      existing: [stored('k1', { status: 'acknowledged', ackUntil: at(DAY) })],
      drafts: [draft('k1', { severity: 'critical' })],
      want: { toOpen: [], toUpdate: [], toResolve: [], toReopen: ['f-k1:severity_raised'] },
    },
    {
      name: 'keeps an acknowledged finding acknowledged when its severity fell',
      existing: [stored('k1', { status: 'acknowledged', ackUntil: at(DAY) })],
      drafts: [draft('k1', { severity: 'medium' })],
      want: { toOpen: [], toUpdate: ['f-k1:acknowledged:changed'], toResolve: [], toReopen: [] },
    },
    {
      name: 'resolves an acknowledged finding whose evidence disappeared',
      existing: [stored('k1', { status: 'acknowledged', ackUntil: at(DAY) })],
      drafts: [],
      want: { toOpen: [], toUpdate: [], toResolve: ['f-k1'], toReopen: [] },
    },
    {
      name: 'reopens a resolved finding whose evidence returned (dedupeKey is unique, so no new row)',
      existing: [stored('k1', { status: 'resolved' })],
      drafts: [draft('k1')],
      want: { toOpen: [], toUpdate: [], toResolve: [], toReopen: ['f-k1:evidence_returned'] },
    },
    {
      name: 'leaves a resolved finding alone when there is still no evidence',
      existing: [stored('k1', { status: 'resolved' })],
      drafts: [],
      want: { toOpen: [], toUpdate: [], toResolve: [], toReopen: [] },
    },
  ];
  it.each(cases)('$name', ({ existing, drafts, want }) => {
    expect(summary(reconcile(existing, drafts, NOW))).toEqual(want);
  });

  it('does not resolve findings of rules that were not evaluated this run', () => {
    const existing = [stored('k1'), stored('k2', { rule: 'failure_spike' })];
    const r = reconcile(existing, [], NOW, { evaluatedRules: ['failure_spike'] });
    expect(r.toResolve.map((x) => x.id)).toEqual(['f-k2']);
  });

  it('is a fixed point: applying its plan and reconciling the same drafts again opens, reopens and resolves nothing', () => {
    const sev = fc.constantFrom<Severity>('critical', 'high', 'medium', 'low');
    const status = fc.constantFrom<ExistingFinding['status']>('open', 'acknowledged', 'resolved');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ key: fc.integer({ min: 0, max: 20 }), sev, status, ackDays: fc.option(fc.integer({ min: -3, max: 3 })) }), { selector: (x) => x.key }),
        fc.uniqueArray(fc.record({ key: fc.integer({ min: 0, max: 20 }), sev }), { selector: (x) => x.key }),
        (ex, dr) => {
          const existing = ex.map((e) =>
            stored(`k${e.key}`, { severity: e.sev, status: e.status, ackUntil: e.ackDays === null ? null : at(e.ackDays * DAY) }),
          );
          const drafts = dr.map((d) => draft(`k${d.key}`, { severity: d.sev }));
          const plan = reconcile(existing, drafts, NOW);
          // Every draft lands in exactly one bucket; every unmatched open/acked finding resolves.
          expect(plan.toOpen.length + plan.toUpdate.length + plan.toReopen.length).toBe(drafts.length);
          // Apply the plan as the DB layer would.
          const after = new Map(existing.map((f) => [f.dedupeKey, { ...f }]));
          for (const d of plan.toOpen) after.set(d.dedupeKey, stored(d.dedupeKey, { severity: d.severity, evidence: d.evidence }));
          for (const u of plan.toUpdate) Object.assign(after.get(u.draft.dedupeKey)!, { severity: u.draft.severity, evidence: u.draft.evidence });
          for (const o of plan.toReopen) Object.assign(after.get(o.draft.dedupeKey)!, { status: 'open', ackUntil: null, severity: o.draft.severity, evidence: o.draft.evidence });
          for (const x of plan.toResolve) Object.assign(after.get(x.dedupeKey)!, { status: 'resolved' });
          const again = reconcile([...after.values()], drafts, NOW);
          expect(again.toOpen).toEqual([]);
          expect(again.toReopen).toEqual([]);
          expect(again.toResolve).toEqual([]);
          expect(again.toUpdate.every((u) => !u.changed)).toBe(true);
        },
      ),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
