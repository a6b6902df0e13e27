// JSON export: the full mapping (every control, its status, counts and the evidence subjects
// mapped to it, with rationale) plus the evidence itself (findings, positive checks), each row
// referencing the controls it bears on. Streamed: the document is written piece by piece.
import type { Writable } from 'node:stream';
import { csf20From11 } from '../csf-crosswalk.ts';
import { statusEvidence, statusTotals } from '../control-status.ts';
import { assess, controlsBySubject } from './common.ts';
import { redactSecrets } from './redact.ts';
import { batched, writeChunks } from './sink.ts';
import type { ExportMeta, ExportResult, ExportSource, ExportStats } from './types.ts';
import { newStats, tick } from './types.ts';

export const JSON_EXPORT_FORMAT = 'holdfast.framework-export';
export const JSON_EXPORT_VERSION = 1;

const j = (v: unknown) => JSON.stringify(v);

export async function* jsonChunks(meta: ExportMeta, source: ExportSource, stats: ExportStats = newStats(meta.framework.controls.length)): AsyncGenerator<string> {
  yield* batched(jsonParts(meta, source, stats));
}

async function* jsonParts(meta: ExportMeta, source: ExportSource, stats: ExportStats): AsyncGenerator<string> {
  const f = meta.framework;
  const assessments = assess(meta, source);
  const links = controlsBySubject(f);
  const head = {
    format: JSON_EXPORT_FORMAT,
    formatVersion: JSON_EXPORT_VERSION,
    framework: { id: f.id, name: f.name, version: f.version, catalogVersion: f.catalogVersion, publisher: f.publisher, sourceUrl: f.sourceUrl, custom: f.custom },
    generatedAt: meta.generatedAt.toISOString(),
    generatedBy: meta.generatedBy,
    range: { from: meta.range?.from?.toISOString() ?? null, to: meta.range?.to?.toISOString() ?? null },
    tool: meta.tool ?? null,
    statusTotals: statusTotals(assessments),
  };
  yield j(head).slice(0, -1);
  yield ',"controls":[';
  let first = true;
  for (const a of assessments) {
    const control = {
      id: a.control.id,
      title: a.control.title,
      description: a.control.description,
      group: a.control.group ?? null,
      ...(f.id === 'nist-csf-2.0' ? { csf11: csf20From11(a.control.id) } : {}),
      status: a.status,
      statusEvidence: statusEvidence(a.status, a.counts),
      counts: { openFindings: a.counts.openFindings, bySeverity: a.counts.bySeverity, positivePass: a.counts.positivePass, positiveFail: a.counts.positiveFail },
      evidence: a.counts.subjects.map((s) => ({
        subject: s.subject,
        kind: s.kind,
        rationale: s.rationale,
        evaluated: s.evaluated,
        openFindings: s.openFindings,
        pass: s.pass,
        fail: s.fail,
        // Rows in `findings` / `positiveEvidence` below carry this subject in `rule` / `control`.
        ref: s.kind === 'finding_rule' ? `#/findings?rule=${s.subject}` : `#/positiveEvidence?control=${s.subject}`,
      })),
    };
    yield (first ? '' : ',') + j(control);
    first = false;
  }
  yield '],"findings":[';
  first = true;
  for await (const x of source.findings()) {
    stats.findings += 1;
    tick(meta, stats);
    const row = {
      id: x.id,
      rule: x.rule,
      severity: x.severity,
      status: x.status,
      title: redactSecrets(x.title),
      explanation: x.explanation ? redactSecrets(x.explanation) : null,
      remediation: redactSecrets(x.recommendation),
      identity: x.identity,
      identityId: x.identityId ?? null,
      tokenId: x.tokenId,
      tokenFingerprint: x.tokenFingerprint ?? null,
      firstSeenAt: x.firstSeenAt.toISOString(),
      lastSeenAt: x.lastSeenAt.toISOString(),
      controls: (links.get(x.rule) ?? []).map((l) => l.control.id),
    };
    yield (first ? '' : ',') + j(row);
    first = false;
  }
  yield '],"positiveEvidence":[';
  first = true;
  if (source.positiveEvidence) {
    for await (const e of source.positiveEvidence()) {
      stats.evidenceRows += 1;
      tick(meta, stats);
      const row = {
        id: e.id,
        control: e.control,
        subjectType: e.subjectType,
        subjectId: e.subjectId,
        subjectLabel: e.subjectLabel ?? null,
        passed: e.passed,
        observedAt: e.observedAt.toISOString(),
        detail: e.detail ? redactSecrets(e.detail) : null,
        controls: (links.get(e.control) ?? []).map((l) => l.control.id),
      };
      yield (first ? '' : ',') + j(row);
      first = false;
    }
  }
  yield `],"counts":${j({ controls: stats.controls, findings: stats.findings, evidenceRows: stats.evidenceRows })}}\n`;
}

/** Streams the JSON export into `sink`; returns its SHA-256 and counts. */
export async function writeJsonExport(meta: ExportMeta, source: ExportSource, sink: Writable): Promise<ExportResult> {
  const stats = newStats(meta.framework.controls.length);
  const out = await writeChunks(jsonChunks(meta, source, stats), sink);
  return { format: 'json', ...stats, ...out };
}
