import { describe, expect, it } from 'vitest';
import { generateDemoEstate } from '../seed/demo-estate.ts';
import { buildSnapshot } from './build-snapshot.ts';
import { evaluate } from './evaluate.ts';
import { TOKEN_RULES } from './rules/index.ts';
import { scopeSnapshotToTokens } from './scope.ts';
import { identity, NOW, snapshot, token, usage } from './testing/facts.ts';

const tokenRule = new Set<string>(TOKEN_RULES);

describe('TOKEN_RULES over a snapshot scoped to some tokens', () => {
  const full = buildSnapshot(generateDemoEstate({ seed: 42, now: NOW }), NOW);
  const fullDrafts = evaluate(full, NOW);

  it.each([
    ['every 7th token', (i: number) => i % 7 === 0],
    ['every token with a finding', () => true],
    ['one token', (i: number) => i === 11],
  ])('draft exactly what the whole estate drafts for those tokens: %s', (_name, pick) => {
    const ids = full.tokens.filter((_, i) => pick(i)).map((t) => t.id);
    const wanted = new Set(ids);
    const expected = fullDrafts.filter((d) => tokenRule.has(d.rule) && d.tokenId !== null && wanted.has(d.tokenId));
    const scoped = evaluate(scopeSnapshotToTokens(full, ids), NOW, { rules: TOKEN_RULES });
    expect(scoped).toEqual(expected);
    if (ids.length > 100) expect(expected.length).toBeGreaterThan(50);
  });

  it('every finding of a token rule names its token (the subject reconciliation is scoped by)', () => {
    const drafts = fullDrafts.filter((d) => tokenRule.has(d.rule));
    expect(drafts.length).toBeGreaterThan(100);
    expect(drafts.every((d) => d.tokenId !== null && d.dedupeKey.endsWith(`:token:${d.tokenId}`))).toBe(true);
  });

  it("keeps what the identity's other tokens hold: a rotated certificate is not someone else's", () => {
    // Token a (bound to A) was also presented with B, the certificate of the same identity's token b.
    const snap = snapshot({
      identities: [identity()],
      tokens: [token({ id: 'a', binding: 'mtls', cnfX5tS256: 'A' }), token({ id: 'b', binding: 'mtls', cnfX5tS256: 'B' })],
      tokenUsage: [usage({ tokenId: 'a', x5tS256Seen: ['A', 'B'] })],
    });
    const scoped = scopeSnapshotToTokens(snap, ['a']);
    expect(scoped.tokens.map((t) => t.id)).toEqual(['a']);
    expect(scoped.heldCredentials).toEqual([{ identityId: snap.identities[0]!.id, kind: 'x5t', thumbprint: 'B' }]);
    expect(evaluate(scoped, NOW, { rules: ['replay_suspected'] })).toEqual([]);
    // Without it the same token would look stolen.
    expect(evaluate({ ...scoped, heldCredentials: [] }, NOW, { rules: ['replay_suspected'] }).map((d) => d.dedupeKey)).toEqual(['replay_suspected:token:a']);
  });
});
