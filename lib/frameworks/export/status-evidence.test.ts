// Issue #18 (auditor): no status stands without its evidence in any export, and the PDF an auditor
// hands on carries per-control evidence, colour, and the top findings across rules without
// duplicates. The small source's offboarding rule ran clean, so CSF PR.AA-05 is satisfied with 0
// open findings and 0 checks: each export must say that rests on the rule that ran.
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeJsonExport } from './json.ts';
import { writeOscalExport } from './oscal.ts';
import { TopFindings, writePdfExport } from './pdf.ts';
import type { ExportFindingRow } from './types.ts';
import { finding, meta, smallSource, tmpFile } from './testing/export-rows.ts';

const SATISFIED_BY_RULE = /0 open findings · checks: 0 passed, 0 failed · rules: 1 of \d+ ran, 1 without an open finding — 1 mapped rule that ran and found nothing open/;

describe('every export names the evidence of each status', () => {
  it('JSON: statusEvidence per control, with its counts', async () => {
    const file = tmpFile('e.json');
    await writeJsonExport(meta(), smallSource(), createWriteStream(file));
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { controls: Array<{ id: string; status: string; statusEvidence: { text: string; rulesClean: number; checksPassed: number } }> };
    const aa05 = doc.controls.find((c) => c.id === 'PR.AA-05')!;
    expect([aa05.status, aa05.statusEvidence.rulesClean, aa05.statusEvidence.checksPassed]).toEqual(['satisfied', 1, 0]);
    expect(aa05.statusEvidence.text).toMatch(SATISFIED_BY_RULE);
  });

  it('OSCAL: each finding target status has remarks naming the evidence, and props counting the rules that ran', async () => {
    const file = tmpFile('e.oscal.json');
    await writeOscalExport(meta(), smallSource(), createWriteStream(file));
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    const findings = doc['assessment-results'].results[0].findings as Array<{ title: string; props: Array<{ name: string; value: string }>; target: { status: { state: string; remarks?: string } } }>;
    const aa05 = findings.find((f) => f.title.startsWith('PR.AA-05 '))!;
    expect(aa05.target.status.state).toBe('satisfied');
    expect(aa05.target.status.remarks).toMatch(SATISFIED_BY_RULE);
    expect(aa05.props.find((p) => p.name === 'rules-clean')?.value).toBe('1');
    expect(findings.every((f) => (f.target.status.remarks ?? '').length > 0)).toBe(true);
  });
});

const row = (id: string, rule: string, severity: ExportFindingRow['severity'], identity: string, title = `${rule} on ${identity}`) =>
  finding({ id, rule, severity, identity, title, recommendation: 'fix it' });

describe('TopFindings: the worst findings across rules, without duplicates', () => {
  it('one noisy rule does not fill the list: each rule worst first, rules take turns', () => {
    const t = new TopFindings(4);
    for (let i = 0; i < 20; i++) t.add(row(`u-${i}`, 'unbound_high_risk', 'high', `svc-${i}`));
    t.add(row('e-1', 'exposed_active', 'critical', 'svc-x'));
    t.add(row('o-1', 'offboarding', 'medium', 'svc-y'));
    expect(t.list().map((x) => x.finding.id)).toEqual(['e-1', 'u-0', 'o-1', 'u-1']);
  });

  it('folds findings with the same rule, identity and title into one, counting the others', () => {
    const t = new TopFindings(5);
    for (let i = 0; i < 6; i++) t.add(row(`tok-${i}`, 'unbound_high_risk', 'high', 'svc-payments', 'Unbound bearer token for payments'));
    t.add(row('other', 'unbound_high_risk', 'high', 'svc-billing'));
    const l = t.list();
    expect(l.map((x) => [x.finding.identity, x.alike])).toEqual([['svc-payments', 5], ['svc-billing', 0]]);
  });
});

describe('PDF an auditor hands on', () => {
  it('per-control evidence under each control, the status evidence sentence, and top findings across rules without duplicates (pdftotext)', async () => {
    const rows = [
      ...Array.from({ length: 30 }, (_, i) => row(`u-${i}`, 'unbound_high_risk', 'high', 'svc-payments', 'Unbound bearer token for payments')),
      ...Array.from({ length: 20 }, (_, i) => row(`b-${i}`, 'unbound_high_risk', 'high', `svc-${i}`)),
      row('e-1', 'exposed_active', 'critical', 'svc-leaky', 'Leaked token still active'),
      row('o-1', 'offboarding', 'medium', 'svc-gone', 'Owner departed, token live'),
    ];
    const file = tmpFile('report.pdf');
    await writePdfExport(meta(), { ...smallSource(rows), evidence: smallSource().evidence }, createWriteStream(file));
    const text = execFileSync('pdftotext', ['-layout', file, '-']).toString('utf8');
    const flat = text.replace(/\s+/g, ' ');
    // Per-control evidence under the title.
    expect(flat).toMatch(/Why: 1 mapped rule that ran and found nothing open\. Evidence: [^]*offboarding: ran, none open/);
    expect(flat).toMatch(/sender_constrained_enforced: 2 passed, 1 failed/);
    expect(flat).toMatch(/unbound_high_risk: 1 open/);
    // Coverage in percent.
    expect(flat).toMatch(/Satisfied \d+ \(\d+%\)/);
    // Top findings: each rule present, the 30 alike payments findings listed once.
    const top = flat.slice(flat.indexOf('Top findings across rules'));
    expect(top).toContain('[CRITICAL] Leaked token still active');
    expect(top).toContain('[MEDIUM] Owner departed, token live');
    expect(top.match(/Unbound bearer token for payments/g)).toHaveLength(1);
    expect(top).toContain('and 29 more alike');
    // Colour: page 1 rendered (PPM) has saturated pixels of the status colours - green, amber and red, not only greys.
    const ppm = execFileSync('pdftoppm', ['-r', '40', '-f', '1', '-l', '1', file]);
    const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 40).toString('latin1'))!;
    const px = ppm.subarray(header[0].length);
    const hues = { green: 0, amber: 0, red: 0 };
    for (let i = 0; i + 2 < px.length; i += 3) {
      const [r, g, b] = [px[i]!, px[i + 1]!, px[i + 2]!];
      if (g - r > 60 && g - b > 60) hues.green += 1;
      else if (r - b > 80 && g - b > 40 && r > 150) hues.amber += 1;
      else if (r - g > 80 && r - b > 80) hues.red += 1;
    }
    expect(hues.green, JSON.stringify(hues)).toBeGreaterThan(50);
    expect(hues.amber, JSON.stringify(hues)).toBeGreaterThan(50);
    expect(hues.red, JSON.stringify(hues)).toBeGreaterThan(50);
  });
});
