import { createWriteStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { listBuiltinFrameworks } from '../registry.ts';
import { writeOscalExport, OSCAL_VERSION, type ReceiptEvidenceRow } from './oscal.ts';
import { looksLikeRawToken } from './redact.ts';
import { syntheticSource } from './synthetic.ts';
import { meta, RAW_JWT, smallSource, tmpFile } from './testing/export-rows.ts';
import { OSCAL_SCHEMA_PATH } from '../testing/oscal-schema.ts';

const SCHEMA = OSCAL_SCHEMA_PATH;

let validator: ValidateFunction | null = null;
function validate(doc: unknown): { ok: boolean; errors: string } {
  if (!validator) {
    // ajv-formats ships CJS; under ESM its default export may be wrapped once more.
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
  }
  const ok = validator(doc) as boolean;
  return { ok, errors: JSON.stringify(validator.errors?.slice(0, 5) ?? []) };
}

async function exportToFile(m = meta(), source = smallSource()) {
  const file = tmpFile('export.oscal.json');
  const r = await writeOscalExport(m, source, createWriteStream(file));
  const raw = readFileSync(file);
  return { r, raw, text: raw.toString('utf8'), doc: JSON.parse(raw.toString('utf8')) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads the untyped document
}

describe('OSCAL assessment-results export', () => {
  it('uses the schema NIST published (fixture checksum)', () => {
    expect(createHash('sha256').update(readFileSync(SCHEMA)).digest('hex')).toBe('ccbb55a80f8b5753e9f6dfbc317e7b35a2800f013ce17cb04ee69e6ad4cd6a9e');
  });

  it('writes a file that validates against the official 1.0.4 schema', async () => {
    const { doc, r, raw } = await exportToFile();
    const v = validate(doc);
    expect(v.ok, v.errors).toBe(true);
    expect(r.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(r).toMatchObject({ format: 'oscal', findings: 2, evidenceRows: 2, controls: 19 });
  });

  it.each(listBuiltinFrameworks().map((f) => f.id))('%s: synthetic estate export validates', async (id) => {
    const { doc } = await exportToFile(meta(id), syntheticSource({ tokens: 300, findings: 60 }));
    const v = validate(doc);
    expect(v.ok, v.errors).toBe(true);
  });

  it('the validator does reject a colon in a target-id and a time without zone (it is not vacuous)', async () => {
    const { doc } = await exportToFile();
    const bad = structuredClone(doc);
    bad['assessment-results'].results[0].findings[0].target['target-id'] = 'PR.AA:01';
    expect(validate(bad).ok).toBe(false);
    const bad2 = structuredClone(doc);
    bad2['assessment-results'].metadata['last-modified'] = '2026-11-22T09:00:00';
    expect(validate(bad2).ok).toBe(false);
  });

  it('also validates when there is no evidence at all (no empty arrays)', async () => {
    const source = { evidence: { openFindings: {}, positive: {}, rulesEvaluated: [] }, findings: async function* () {} };
    const { doc } = await exportToFile(meta('owasp-nhi-2025'), source);
    expect(validate(doc).ok).toBe(true);
    expect(doc['assessment-results'].results[0].findings).toBeUndefined();
    expect(doc['assessment-results'].results[0].observations).toBeUndefined();
  });

  it('carries metadata: oscal-version, framework version, generation time, generated-by', async () => {
    const { doc } = await exportToFile();
    const md = doc['assessment-results'].metadata;
    expect(md['oscal-version']).toBe(OSCAL_VERSION);
    expect(md['last-modified']).toBe('2026-11-22T09:00:00.000Z');
    const props = Object.fromEntries(md.props.map((p: { name: string; value: string }) => [p.name, p.value]));
    expect(props).toMatchObject({ 'framework-id': 'nist-csf-2.0', 'framework-version': '2.0', 'generated-by': 'auditor@example.com', 'generated-at': '2026-11-22T09:00:00.000Z' });
    expect(md.parties[0].name).toBe('auditor@example.com');
  });

  it('turns control IDs into OSCAL tokens and reports satisfied / not-satisfied per assessed control', async () => {
    const { doc, text } = await exportToFile(meta('owasp-nhi-2025'));
    const res = doc['assessment-results'].results[0];
    const selected = res['reviewed-controls']['control-selections'][0]['include-controls'].map((c: { 'control-id': string }) => c['control-id']);
    expect(selected).toContain('nhi1-2025');
    expect(selected).toContain('nhi10-2025');
    expect(selected.every((s: string) => !s.includes(':'))).toBe(true);
    const byTarget = Object.fromEntries(res.findings.map((f: any) => [f.target['target-id'], f.target.status.state])); // eslint-disable-line @typescript-eslint/no-explicit-any
    // NHI4: one high unbound finding → not-satisfied; NHI2: critical leak → not-satisfied; NHI1: offboarding ran clean → satisfied.
    expect(byTarget).toEqual({ 'nhi1-2025': 'satisfied', 'nhi2-2025': 'not-satisfied', 'nhi4-2025': 'not-satisfied' });
    expect(text).not.toMatch(/"target-id":"[^"]*:/);
  });

  it('uses OSCAL reasons: fail for not satisfied, other for partially satisfied; remarks name the evidence of every status', async () => {
    const { doc } = await exportToFile();
    const status = (t: string) => doc['assessment-results'].results[0].findings.find((f: any) => f.target['target-id'] === t)?.target.status; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(status('pr.aa-02')).toEqual({ state: 'not-satisfied', reason: 'fail', remarks: expect.stringMatching(/^Not satisfied: 1 open finding \(1 critical\/high\) · checks: 2 passed, 1 failed · .* — 1 open critical or high finding\.$/) });
    expect(status('pr.aa-04')).toMatchObject({ state: 'not-satisfied', reason: 'other', remarks: expect.stringMatching(/^Partially satisfied/) });
    expect(status('pr.aa-06')).toBeUndefined();
  });

  it('links each control finding to the observations of its evidence', async () => {
    const { doc } = await exportToFile(meta('owasp-nhi-2025'));
    const res = doc['assessment-results'].results[0];
    const obsUuids = new Set(res.observations.map((o: { uuid: string }) => o.uuid));
    const nhi4 = res.findings.find((f: any) => f.target['target-id'] === 'nhi4-2025'); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(nhi4['related-observations'].length).toBe(3); // one finding + two sender-constrained checks
    for (const r of nhi4['related-observations']) expect(obsUuids.has(r['observation-uuid'])).toBe(true);
  });

  it('contains no raw token and gives the same bytes for the same inputs', async () => {
    const a = await exportToFile();
    const b = await exportToFile();
    expect(a.text).not.toContain(RAW_JWT);
    expect(a.text).not.toContain('eyJ');
    expect(looksLikeRawToken(a.text)).toBe(false);
    expect(a.r.sha256).toBe(b.r.sha256);
  });
});

describe('OSCAL streaming vs in-memory', () => {
  it('streams byte-for-byte the document a single JSON.stringify would produce', async () => {
    const { buildOscalDocument } = await import('./oscal.ts');
    const { text } = await exportToFile(meta(), syntheticSource({ tokens: 500, findings: 50 }));
    const whole = `${JSON.stringify(await buildOscalDocument(meta(), syntheticSource({ tokens: 500, findings: 50 })))}\n`;
    expect(text).toBe(whole);
  });
});

describe('OSCAL export progress', () => {
  it('reports progress every 10,000 rows read', async () => {
    const seen: number[] = [];
    const m = { ...meta(), onProgress: (s: { findings: number; evidenceRows: number }) => seen.push(s.findings + s.evidenceRows) };
    await exportToFile(m, syntheticSource({ tokens: 25_000, findings: 2_500 }));
    expect(seen).toEqual([10_000, 20_000]);
  });
});

describe('OSCAL observations of revocation receipts', () => {
  const receiptRow = (status: 'still_accepting' | 'effective', point: string): ReceiptEvidenceRow => ({
    id: `revocation_effective|leg-${status}`,
    control: 'revocation_effective',
    subjectType: 'revocation',
    subjectId: '0d6f7e1a-3b2c-4d5e-8f90-a1b2c3d4e5f6',
    subjectLabel: `token leg of revocation r-1 at ${point}`,
    passed: status !== 'still_accepting',
    observedAt: new Date('2026-11-21T12:00:00.000Z'),
    detail: `${point} ${status === 'still_accepting' ? 'still accepts' : 'refuses'} the revoked token`,
    receipt: {
      revocationId: '9c1e2d3f-4a5b-4c6d-8e7f-8091a2b3c4d5', legKind: 'token', enforcementPoint: point, status, revokedAt: '2026-11-21T10:00:00.000Z',
      confirmedAt: '2026-11-21T10:00:02.000Z', lastAcceptedBefore: '2026-11-21T09:59:00.000Z', acceptedAfter: status === 'still_accepting' ? 2 : 0,
      refusedAfter: status === 'effective' ? 3 : 0, notSeenForSeconds: null, findingId: status === 'still_accepting' ? 'f-9' : null,
    },
  });
  const source = () => ({
    ...smallSource(),
    async *positiveEvidence() {
      yield receiptRow('still_accepting', 'edge-a');
      yield receiptRow('effective', 'edge-b');
    },
  });

  it('each receipt is an observation naming the enforcement point and what it did since the revocation, valid against the 1.0.4 schema', async () => {
    const { doc } = await exportToFile(meta(), source());
    const v = validate(doc);
    expect(v.ok, v.errors).toBe(true);
    const obs = doc['assessment-results'].results[0].observations.filter((o: { title: string }) => o.title.startsWith('Revocation receipt'));
    expect(obs.map((o: { title: string }) => o.title)).toEqual(['Revocation receipt: edge-a: still accepting', 'Revocation receipt: edge-b: effective']);
    const props = (o: { props: Array<{ name: string; value: string }> }) => Object.fromEntries(o.props.map((p) => [p.name, p.value]));
    expect(props(obs[0])).toMatchObject({
      'evidence-kind': 'revocation-receipt', 'positive-control': 'revocation_effective', result: 'fail', 'revocation-id': '9c1e2d3f-4a5b-4c6d-8e7f-8091a2b3c4d5',
      'revoked-credential': 'token', 'enforcement-point': 'edge-a', 'receipt-status': 'still_accepting', 'revoked-at': '2026-11-21T10:00:00.000Z',
      'revocation-confirmed-at': '2026-11-21T10:00:02.000Z', 'last-accepted-before': '2026-11-21T09:59:00.000Z', 'accepted-after': '2', 'refused-after': '0', 'finding-id': 'f-9',
    });
    expect(props(obs[1])).toMatchObject({ result: 'pass', 'receipt-status': 'effective', 'refused-after': '3' });
    expect(props(obs[1])['finding-id']).toBeUndefined();
    expect(obs[0]['relevant-evidence'][0].href).toBe('#revocation-9c1e2d3f-4a5b-4c6d-8e7f-8091a2b3c4d5');
  });

  it('a positive-control row without a receipt keeps its plain observation', async () => {
    const { doc } = await exportToFile();
    const titles = doc['assessment-results'].results[0].observations.map((o: { title: string }) => o.title);
    expect(titles.filter((t: string) => t.startsWith('sender_constrained_enforced'))).toHaveLength(2);
    expect(titles.some((t: string) => t.startsWith('Revocation receipt'))).toBe(false);
  });
});
