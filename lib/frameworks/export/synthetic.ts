// Synthetic, deterministic export input for tests and the benchmark: N tokens (positive checks)
// and N/10 findings, produced lazily so generating them costs no memory either.
import { FINDING_RULES, type Severity } from '../../domain/types.ts';
import { POSITIVE_CONTROLS } from '../mapping.ts';
import type { EvidenceCounts } from '../types.ts';
import type { ExportEvidenceRow, ExportFindingRow, ExportSource } from './types.ts';
import { uuidV5 } from './uuid.ts';

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const BASE = Date.UTC(2026, 10, 1);

export interface SyntheticOptions {
  tokens: number;
  findings: number;
}

function findingAt(i: number): ExportFindingRow {
  const rule = FINDING_RULES[i % FINDING_RULES.length] ?? 'unbound_high_risk';
  const tokenId = uuidV5(`token|${i % 1_000_003}`);
  return {
    id: uuidV5(`finding|${i}`),
    rule,
    severity: SEVERITIES[(i * 7) % SEVERITIES.length] ?? 'medium',
    status: 'open',
    title: `${rule.replace(/_/g, ' ')} on svc-${i % 997}`,
    explanation: `Observed at gateway gw-${i % 13}; token fingerprint only, never the token.`,
    recommendation: 'Bind the token (RFC 8705 mTLS or RFC 9449 DPoP), enforce at every gateway, then revoke the old one and confirm by introspection.',
    identity: `svc-${i % 997}`,
    identityId: uuidV5(`identity|${i % 997}`),
    tokenId,
    tokenFingerprint: Buffer.from(tokenId).toString('base64url').slice(0, 43),
    firstSeenAt: new Date(BASE + i * 1000),
    lastSeenAt: new Date(BASE + i * 1000 + 3_600_000),
  };
}

function checkAt(i: number): ExportEvidenceRow {
  const control = POSITIVE_CONTROLS[i % 2] ?? 'ttl_within_policy';
  return {
    id: uuidV5(`check|${i}`),
    control,
    subjectType: 'token',
    subjectId: uuidV5(`token|${i}`),
    subjectLabel: `svc-${i % 997}`,
    passed: i % 17 !== 0,
    observedAt: new Date(BASE + i * 100),
  };
}

/** Evidence counts consistent with the rows syntheticSource yields. */
export function syntheticCounts(o: SyntheticOptions): EvidenceCounts {
  const openFindings: EvidenceCounts['openFindings'] = {};
  for (let i = 0; i < o.findings; i++) {
    const f = findingAt(i);
    const bucket = (openFindings[f.rule] ??= {});
    bucket[f.severity] = (bucket[f.severity] ?? 0) + 1;
  }
  const positive: EvidenceCounts['positive'] = {};
  for (let i = 0; i < o.tokens; i++) {
    const c = checkAt(i);
    const p = (positive[c.control] ??= { pass: 0, fail: 0 });
    if (c.passed) p.pass += 1;
    else p.fail += 1;
  }
  return { openFindings, positive, rulesEvaluated: [...FINDING_RULES] };
}

export function syntheticSource(o: SyntheticOptions, evidence: EvidenceCounts = syntheticCounts(o)): ExportSource {
  return {
    evidence,
    async *findings() {
      for (let i = 0; i < o.findings; i++) yield findingAt(i);
    },
    async *positiveEvidence() {
      for (let i = 0; i < o.tokens; i++) yield checkAt(i);
    },
  };
}
