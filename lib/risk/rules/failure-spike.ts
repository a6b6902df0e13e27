// Why: binding failures that jump above a subject's own normal mean a misconfiguration
// (clock skew, a proxy rewriting htu, a rotated certificate) or someone trying stolen tokens.
// Compared with the subject's own history, so a noisy gateway is not flagged every day.
//
// Definition (policy.failureSpike): current = failures in the last 24 h (buckets[0]);
// baseline = the `baselineDays` previous 24 h buckets (buckets[1..baselineDays], missing = 0);
// spike iff current ≥ minCount AND current > mean + k·σ (population σ) AND
// current ≥ factor · max(mean, 1). The factor guard keeps a perfectly flat baseline (σ = 0)
// from turning one extra failure into a spike.
import type { Policy } from '../policy.ts';
import { sumRadius } from '../blast-radius.ts';
import { dedupeKey, isLive, type Rule } from '../context.ts';
import { makeDraft } from './draft.ts';

export interface SpikeStats {
  current: number;
  mean: number;
  stddev: number;
  threshold: number;
  spike: boolean;
}

/** Spike test for one series of rolling 24 h buckets (index 0 = last 24 h). */
export function spikeStats(buckets: readonly number[], p: Policy['failureSpike']): SpikeStats {
  const current = buckets[0] ?? 0;
  const base: number[] = [];
  for (let i = 1; i <= p.baselineDays; i++) base.push(buckets[i] ?? 0);
  const mean = base.reduce((a, b) => a + b, 0) / base.length;
  const stddev = Math.sqrt(base.reduce((a, b) => a + (b - mean) ** 2, 0) / base.length);
  const threshold = Math.max(p.minCount, mean + p.k * stddev, p.factor * Math.max(mean, 1));
  const spike = current >= p.minCount && current > mean + p.k * stddev && current >= p.factor * Math.max(mean, 1);
  return { current, mean, stddev, threshold, spike };
}

export const failureSpike: Rule = (ctx) =>
  ctx.snapshot.failureSeries.flatMap((s) => {
    const st = spikeStats(s.buckets, ctx.policy.failureSpike);
    if (!st.spike) return [];
    const identity = s.subject.kind === 'identity' ? ctx.identity(s.subject.identityId) : undefined;
    const subjectName = s.subject.kind === 'gateway' ? s.subject.gateway : (identity?.name ?? s.subject.identityId);
    const subjectId = s.subject.kind === 'gateway' ? s.subject.gateway : s.subject.identityId;
    const radius =
      s.subject.kind === 'identity'
        ? sumRadius(ctx.tokensOfIdentity(s.subject.identityId).filter((t) => isLive(t, ctx.now)).map((t) => ctx.radius(t)))
        : st.current;
    return [
      makeDraft(
        'failure_spike',
        { subjectName, subjectKind: s.subject.kind, last24h: st.current, baselineMean: st.mean, baselineDays: ctx.policy.failureSpike.baselineDays },
        {
          dedupeKey: dedupeKey('failure_spike', s.subject.kind, subjectId),
          severity: 'medium',
          identityId: s.subject.kind === 'identity' && identity ? s.subject.identityId : null,
          tokenId: null,
          certificateId: null,
          evidence: {
            subjectKind: s.subject.kind,
            subject: subjectId,
            last24h: st.current,
            baselineDaily: s.buckets.slice(1, ctx.policy.failureSpike.baselineDays + 1),
            baselineMean: Math.round(st.mean * 100) / 100,
            baselineStddev: Math.round(st.stddev * 100) / 100,
            threshold: Math.round(st.threshold * 100) / 100,
          },
          blastRadius: radius,
          observedAt: ctx.now,
        },
      ),
    ];
  });
