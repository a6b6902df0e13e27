// Test helpers shared by the export tests (not used by production code).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportFindingRow, ExportMeta, ExportSource } from '../types.ts';
import { requireBuiltinFramework } from '../../registry.ts';

export const RAW_JWT =
  'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtcGF5bWVudHMiLCJjbmYiOnt9fQ.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZy1lbm91Z2g';

export function tmpFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'holdfast-export-')), name);
}

export function meta(frameworkId = 'nist-csf-2.0'): ExportMeta {
  return {
    framework: requireBuiltinFramework(frameworkId),
    generatedAt: new Date('2026-11-22T09:00:00.000Z'),
    generatedBy: 'auditor@example.com',
    range: { from: new Date('2026-11-01T00:00:00.000Z'), to: new Date('2026-11-22T09:00:00.000Z') },
    tool: { name: 'Holdfast', version: '0.1.0' },
  };
}

export function finding(over: Partial<ExportFindingRow> = {}): ExportFindingRow {
  return {
    id: '0b9f0d52-8a4e-4c55-9a3e-3f1f7c0e2a11',
    rule: 'unbound_high_risk',
    severity: 'high',
    status: 'open',
    title: 'Unbound bearer token for payments',
    explanation: `Gateway logged ${RAW_JWT} in a header`,
    recommendation: '=HYPERLINK("http://evil") bind with DPoP, then revoke',
    identity: 'svc-payments',
    identityId: '5d1c2b7e-2f0a-4c1b-8f7e-1a2b3c4d5e6f',
    tokenId: '7a3e1f2c-9b8d-4e6f-a1b2-c3d4e5f60718',
    tokenFingerprint: 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo',
    firstSeenAt: new Date('2026-11-20T10:00:00.000Z'),
    lastSeenAt: new Date('2026-11-21T10:00:00.000Z'),
    ...over,
  };
}

export function smallSource(rows: ExportFindingRow[] = [finding(), finding({ id: 'f-2', rule: 'exposed_active', severity: 'critical', title: 'Leaked, "still" active, token', tokenId: null, identityId: null })]): ExportSource {
  return {
    evidence: {
      openFindings: { unbound_high_risk: { high: 1 }, exposed_active: { critical: 1 } },
      positive: { sender_constrained_enforced: { pass: 2, fail: 1 } },
      rulesEvaluated: ['unbound_high_risk', 'exposed_active', 'offboarding'],
    },
    async *findings() {
      yield* rows;
    },
    async *positiveEvidence() {
      yield {
        id: 'chk-1',
        control: 'sender_constrained_enforced',
        subjectType: 'token',
        subjectId: '7a3e1f2c-9b8d-4e6f-a1b2-c3d4e5f60718',
        subjectLabel: 'svc-payments',
        passed: true,
        observedAt: new Date('2026-11-21T11:00:00.000Z'),
      };
      yield {
        id: 'chk-2',
        control: 'sender_constrained_enforced',
        subjectType: 'token',
        subjectId: 'not-a-uuid-token-id',
        passed: false,
        observedAt: new Date('2026-11-21T11:00:00.000+02:00'),
        detail: `presented with Bearer ${RAW_JWT}`,
      };
    },
  };
}
