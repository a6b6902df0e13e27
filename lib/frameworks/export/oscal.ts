// OSCAL assessment-results 1.0.4 export, valid against NIST's JSON schema (tested with ajv on the
// written file). One result per export; reviewed-controls selects every catalog control; one
// observation per finding row and per positive-control check; one OSCAL finding per assessed
// control with target status satisfied / not-satisfied. Control IDs become OSCAL tokens
// (`NHI1:2025` → `nhi1-2025`). UUIDs are name-based (v5), so the same inputs give the same file.
//
// Memory stays flat: rows are streamed; what is kept per control is bounded (the first
// RELATED_OBSERVATIONS_CAP observation uuids). Every observation also names its controls in a
// `control-id` prop, so the full link survives the cap.
import type { Writable } from 'node:stream';
import { statusEvidence } from '../control-status.ts';
import { toOscalToken } from '../oscal-token.ts';
import type { ControlAssessment, ControlStatus } from '../types.ts';
import { assess, controlsBySubject, type ControlLink } from './common.ts';
import { redactSecrets } from './redact.ts';
import { batched, writeChunks } from './sink.ts';
import type { ExportEvidenceRow, ExportMeta, ExportResult, ExportSource, ExportStats } from './types.ts';
import { newStats, tick } from './types.ts';
import { uuidV5 } from './uuid.ts';

export const OSCAL_VERSION = '1.0.4';
/** Namespace of our OSCAL props (names outside NIST's own vocabulary must carry one). */
export const HOLDFAST_OSCAL_NS = 'https://holdfast.dev/ns/oscal';
export const RELATED_OBSERVATIONS_CAP = 1000;

interface OscalProp {
  name: string;
  value: string;
  ns?: string;
  class?: string;
}

/** OSCAL prop values are non-empty and carry no leading/trailing whitespace. */
function propValue(v: string): string {
  const s = v.replace(/\s+/g, ' ').trim();
  return s === '' ? 'none' : s;
}

function prop(name: string, value: string): OscalProp {
  return { name, ns: HOLDFAST_OSCAL_NS, value: propValue(value) };
}

const j = (v: unknown) => JSON.stringify(v);

const OSCAL_STATE: Record<Exclude<ControlStatus, 'not_assessed'>, 'satisfied' | 'not-satisfied'> = {
  satisfied: 'satisfied',
  partially_satisfied: 'not-satisfied',
  not_satisfied: 'not-satisfied',
};

/**
 * What a revocation receipt adds to its evidence row (lib/revocation/receipts.ts): the enforcement
 * point and what it did after the revocation. Carried on the row so the observation can state it
 * as props an auditor's tool can filter on, not only in the description.
 */
export interface ReceiptFacts {
  revocationId: string;
  legKind: 'token' | 'certificate';
  enforcementPoint: string;
  /** effective | still_accepting | not_seen_since */
  status: string;
  revokedAt: string;
  confirmedAt: string | null;
  lastAcceptedBefore: string | null;
  acceptedAfter: number;
  refusedAfter: number;
  notSeenForSeconds: number | null;
  findingId: string | null;
}

export type ReceiptEvidenceRow = ExportEvidenceRow & { receipt: ReceiptFacts };

function receiptOf(e: ExportEvidenceRow): ReceiptFacts | null {
  const r = (e as Partial<ReceiptEvidenceRow>).receipt;
  return r && typeof r === 'object' ? r : null;
}

/** The receipt as OSCAL props (optional facts only when known). */
function receiptProps(r: ReceiptFacts): OscalProp[] {
  return [
    prop('revocation-id', r.revocationId),
    prop('revoked-credential', r.legKind),
    prop('enforcement-point', r.enforcementPoint),
    prop('receipt-status', r.status),
    prop('revoked-at', r.revokedAt),
    ...(r.confirmedAt ? [prop('revocation-confirmed-at', r.confirmedAt)] : []),
    ...(r.lastAcceptedBefore ? [prop('last-accepted-before', r.lastAcceptedBefore)] : []),
    prop('accepted-after', String(r.acceptedAfter)),
    prop('refused-after', String(r.refusedAfter)),
    ...(r.notSeenForSeconds !== null ? [prop('not-seen-for-seconds', String(r.notSeenForSeconds))] : []),
    ...(r.findingId ? [prop('finding-id', r.findingId)] : []),
  ];
}

const RECEIPT_WORDS: Record<string, string> = { effective: 'effective', still_accepting: 'still accepting', not_seen_since: 'not seen since' };

/** The uuid of the export document, stable for the same framework, time and author. */
export function oscalDocumentUuid(meta: ExportMeta): string {
  return uuidV5(`assessment-results|${meta.framework.id}|${meta.framework.catalogVersion}|${meta.generatedAt.toISOString()}|${meta.generatedBy}`);
}

export async function* oscalChunks(meta: ExportMeta, source: ExportSource, stats: ExportStats = newStats(meta.framework.controls.length)): AsyncGenerator<string> {
  yield* batched(oscalParts(meta, source, stats));
}

interface OscalModel {
  docUuid: string;
  metadata: object;
  importAp: object;
  /** The result without observations, findings and remarks (those come after the rows). */
  result: object;
  observations: AsyncGenerator<object>;
  /** Call after `observations` is exhausted. */
  finish(): { findings: object[]; remarks: string };
}

/** The document in parts: small head, streamed observations, then per-control findings. */
function oscalModel(meta: ExportMeta, source: ExportSource, stats: ExportStats): OscalModel {
  const f = meta.framework;
  const docUuid = oscalDocumentUuid(meta);
  const generatedAt = meta.generatedAt.toISOString();
  const assessments = assess(meta, source);
  const links = controlsBySubject(f);
  const partyUuid = uuidV5(`party|${meta.generatedBy}`);
  const related = new Map<string, string[]>(f.controls.map((c) => [c.id, []]));
  const relate = (ls: readonly ControlLink[], obsUuid: string) => {
    for (const l of ls) {
      const list = related.get(l.control.id);
      if (list && list.length < RELATED_OBSERVATIONS_CAP) list.push(obsUuid);
    }
  };
  const tool = meta.tool ?? { name: 'Holdfast', version: 'unknown' };
  // Per-row hot path: control tokens computed once per control, not once per row.
  const tokenOf = new Map(f.controls.map((c) => [c.id, toOscalToken(c.id)]));
  const tok = (id: string) => tokenOf.get(id) ?? toOscalToken(id);

  const metadata = {
    title: `${f.name} ${f.version}: assessment results for non-human identity tokens`,
    'last-modified': generatedAt,
    version: `${f.version}+catalog.${f.catalogVersion}`,
    'oscal-version': OSCAL_VERSION,
    props: [
      prop('framework-id', f.id),
      prop('framework-version', f.version),
      prop('catalog-version', f.catalogVersion),
      prop('generated-at', generatedAt),
      prop('generated-by', meta.generatedBy),
      prop('generator', `${tool.name} ${tool.version}`),
    ],
    roles: [{ id: 'prepared-by', title: 'Prepared By' }],
    parties: [{ uuid: partyUuid, type: 'person', name: meta.generatedBy }],
    'responsible-parties': [{ 'role-id': 'prepared-by', 'party-uuids': [partyUuid] }],
    remarks: `Generated by ${tool.name} at ${generatedAt} for ${meta.generatedBy}. Control IDs are the framework's published IDs converted to OSCAL tokens; the published ID is kept in each finding's title and in the control-id props.`,
  };
  const start = (meta.range?.from ?? meta.generatedAt).toISOString();
  const end = (meta.range?.to ?? meta.generatedAt).toISOString();
  const result = {
    uuid: uuidV5(`result|${docUuid}`),
    title: `${f.name} ${f.version} (${f.id})`,
    description: `Status of ${f.controls.length} controls of ${f.name} ${f.version}, computed by ${tool.name} from token, certificate and gateway evidence.`,
    start,
    end,
    props: [prop('framework-id', f.id), prop('framework-version', f.version)],
    'reviewed-controls': {
      'control-selections': [
        {
          description: `All controls of ${f.name} ${f.version}.`,
          'include-controls': f.controls.map((c) => ({ 'control-id': toOscalToken(c.id) })),
        },
      ],
    },
  };
  const importAp = {
    href: `urn:holdfast:assessment-plan:${toOscalToken(f.id)}`,
    remarks: 'Holdfast assesses continuously from telemetry; there is no separate assessment-plan document.',
  };

  async function* observations(): AsyncGenerator<object> {
    for await (const x of source.findings()) {
      stats.findings += 1;
      tick(meta, stats);
      const ls = links.get(x.rule) ?? [];
      const obsUuid = uuidV5(`observation|finding|${x.id}`);
      relate(ls, obsUuid);
      const props: OscalProp[] = [
        prop('evidence-kind', 'finding'),
        prop('finding-id', x.id),
        prop('rule', x.rule),
        prop('severity', x.severity),
        prop('finding-status', x.status),
        prop('first-seen', x.firstSeenAt.toISOString()),
        ...(x.tokenFingerprint ? [prop('token-fingerprint', x.tokenFingerprint)] : []),
        ...ls.map((l) => prop('control-id', tok(l.control.id))),
      ];
      const subjectId = x.tokenId ?? x.identityId ?? null;
      yield {
        uuid: obsUuid,
        title: redactSecrets(x.title),
        description: redactSecrets(x.explanation || x.title),
        props,
        methods: ['TEST'],
        types: ['finding'],
        ...(subjectId
          ? {
              subjects: [
                {
                  'subject-uuid': subjectUuid(subjectId),
                  type: x.tokenId ? 'resource' : 'party',
                  ...(x.identity ? { title: redactSecrets(x.identity) } : {}),
                },
              ],
            }
          : {}),
        'relevant-evidence': [{ href: `#finding-${encodeURIComponent(x.id)}`, description: `Remediation: ${redactSecrets(x.recommendation)}` }],
        collected: x.lastSeenAt.toISOString(),
      };
    }
    if (source.positiveEvidence) {
      for await (const e of source.positiveEvidence()) {
        stats.evidenceRows += 1;
        tick(meta, stats);
        const ls = links.get(e.control) ?? [];
        const obsUuid = uuidV5(`observation|check|${e.id}`);
        relate(ls, obsUuid);
        const receipt = receiptOf(e);
        yield {
          uuid: obsUuid,
          title: receipt
            ? `Revocation receipt: ${redactSecrets(receipt.enforcementPoint)}: ${RECEIPT_WORDS[receipt.status] ?? receipt.status}`
            : `${e.control}: ${e.passed ? 'pass' : 'fail'}`,
          description: e.detail ? redactSecrets(e.detail) : `Positive control ${e.control} ${e.passed ? 'passed' : 'failed'} for ${e.subjectType} ${e.subjectId}.`,
          props: [
            prop('evidence-kind', receipt ? 'revocation-receipt' : 'positive-control'),
            prop('positive-control', e.control),
            prop('result', e.passed ? 'pass' : 'fail'),
            ...(receipt ? receiptProps(receipt) : []),
            ...ls.map((l) => prop('control-id', tok(l.control.id))),
          ],
          methods: ['TEST'],
          types: ['control-objective'],
          subjects: [{ 'subject-uuid': subjectUuid(e.subjectId), type: 'resource', ...(e.subjectLabel ? { title: redactSecrets(e.subjectLabel) } : {}) }],
          ...(receipt ? { 'relevant-evidence': [{ href: `#revocation-${encodeURIComponent(receipt.revocationId)}`, description: `Receipt of revocation ${receipt.revocationId} at ${redactSecrets(receipt.enforcementPoint)}.` }] } : {}),
          collected: e.observedAt.toISOString(),
        };
      }
    }
  }

  return {
    docUuid,
    metadata,
    importAp,
    result,
    observations: observations(),
    finish() {
      const findings = assessments.filter((a) => a.status !== 'not_assessed').map((a) => oscalFinding(a, related.get(a.control.id) ?? [], docUuid));
      const notAssessed = assessments.filter((a) => a.status === 'not_assessed').map((a) => a.control.id);
      const remarks =
        notAssessed.length > 0
          ? `No evidence in range for ${notAssessed.length} control(s), reported as not assessed (no finding emitted): ${notAssessed.join(', ')}.`
          : 'Every reviewed control had evidence in range.';
      return { findings, remarks };
    },
  };
}

/** Subject uuids must be v4/v5; database ids usually are (gen_random_uuid), others are hashed. */
function subjectUuid(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id) ? id : uuidV5(`subject|${id}`);
}

async function* oscalParts(meta: ExportMeta, source: ExportSource, stats: ExportStats): AsyncGenerator<string> {
  const m = oscalModel(meta, source, stats);
  yield `{"assessment-results":{"uuid":${j(m.docUuid)},"metadata":${j(m.metadata)},"import-ap":${j(m.importAp)},`;
  yield `"results":[${j(m.result).slice(0, -1)}`;
  // Opened lazily: OSCAL arrays must not be empty.
  let opened = false;
  for await (const obs of m.observations) {
    yield (opened ? ',' : ',"observations":[') + j(obs);
    opened = true;
  }
  if (opened) yield ']';
  const { findings, remarks } = m.finish();
  if (findings.length > 0) yield `,"findings":${j(findings)}`;
  yield `,"remarks":${j(remarks)}}]}}\n`;
}

/**
 * The same document as one in-memory object (what a naive exporter would build before a single
 * JSON.stringify). For tests and the benchmark baseline only: memory grows with the estate.
 */
export async function buildOscalDocument(meta: ExportMeta, source: ExportSource): Promise<object> {
  const m = oscalModel(meta, source, newStats(meta.framework.controls.length));
  const observations: object[] = [];
  for await (const o of m.observations) observations.push(o);
  const { findings, remarks } = m.finish();
  return {
    'assessment-results': {
      uuid: m.docUuid,
      metadata: m.metadata,
      'import-ap': m.importAp,
      results: [{ ...m.result, ...(observations.length > 0 ? { observations } : {}), ...(findings.length > 0 ? { findings } : {}), remarks }],
    },
  };
}

function oscalFinding(a: ControlAssessment, related: readonly string[], docUuid: string) {
  const c = a.counts;
  const state = OSCAL_STATE[a.status as Exclude<ControlStatus, 'not_assessed'>];
  const sev = c.bySeverity;
  const basis = statusEvidence(a.status, c);
  const description =
    `${a.control.id} ${a.status.replace(/_/g, ' ')}: ${c.openFindings} open finding(s) ` +
    `(critical ${sev.critical}, high ${sev.high}, medium ${sev.medium}, low ${sev.low}, info ${sev.info}); ` +
    `positive checks ${c.positivePass} passed, ${c.positiveFail} failed; ` +
    `mapped rules ${basis.rulesRan} ran, ${basis.rulesClean} without an open finding, ${basis.rulesNotRun} never ran. Status evidence: ${basis.text}.`;
  return {
    uuid: uuidV5(`finding|${docUuid}|${a.control.id}`),
    title: `${a.control.id} ${a.control.title}`,
    description,
    props: [
      prop('control-id', a.control.id),
      prop('holdfast-status', a.status),
      prop('open-findings', String(c.openFindings)),
      prop('positive-pass', String(c.positivePass)),
      prop('positive-fail', String(c.positiveFail)),
      prop('rules-ran', String(basis.rulesRan)),
      prop('rules-clean', String(basis.rulesClean)),
    ],
    target: {
      type: 'objective-id',
      'target-id': toOscalToken(a.control.id),
      title: a.control.title,
      // OSCAL reasons are pass | fail | other; "partially satisfied" is other, said in remarks.
      status:
        a.status === 'partially_satisfied'
          ? { state, reason: 'other', remarks: `Partially satisfied: ${basis.text}.` }
          : { state, reason: a.status === 'satisfied' ? 'pass' : 'fail', remarks: `${a.status === 'satisfied' ? 'Satisfied' : 'Not satisfied'}: ${basis.text}.` },
    },
    ...(related.length > 0 ? { 'related-observations': related.map((u) => ({ 'observation-uuid': u })) } : {}),
    ...(related.length >= RELATED_OBSERVATIONS_CAP
      ? { remarks: `The first ${RELATED_OBSERVATIONS_CAP} related observations are listed; every observation for this control carries a control-id prop.` }
      : {}),
  };
}

/** Streams the OSCAL export into `sink`; returns its SHA-256 and counts. */
export async function writeOscalExport(meta: ExportMeta, source: ExportSource, sink: Writable): Promise<ExportResult> {
  const stats = newStats(meta.framework.controls.length);
  const out = await writeChunks(oscalChunks(meta, source, stats), sink);
  return { format: 'oscal', ...stats, ...out };
}
