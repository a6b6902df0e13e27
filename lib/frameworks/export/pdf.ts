// PDF report for people: title, framework and version, generated at/by, summary counts, a
// coverage bar chart drawn with pdfkit primitives, the control table (header repeated on each
// page) with each control's evidence (what its status rests on, per mapped rule and check), and
// the top findings across rules, without duplicates, with remediation. Status colours (green,
// amber, red, grey) carry the same words beside them, so a black-and-white print loses nothing.
// Findings are read once and only a bounded number per rule is kept: memory does not grow with
// the estate.
import type { Writable } from 'node:stream';
import type PdfKit from 'pdfkit';
import { SEVERITY_ORDER, type Severity } from '../../domain/types.ts';
import { statusEvidence, statusTotals } from '../control-status.ts';
import type { ControlAssessment, ControlStatus } from '../types.ts';
import { assess, STATUS_WORDS } from './common.ts';
import { redactSecrets } from './redact.ts';
import { writeChunks } from './sink.ts';
import type { ExportFindingRow, ExportMeta, ExportResult, ExportSource } from './types.ts';
import { newStats, tick } from './types.ts';

export const PDF_TOP_FINDINGS = 15;

const MARGIN = 50;
/** Status fills: the dashboard's badge colours (light, so black text on them stays readable). */
export const STATUS_FILL: Record<ControlStatus, string> = {
  satisfied: '#bbf7d0',
  partially_satisfied: '#fde68a',
  not_satisfied: '#fecaca',
  not_assessed: '#f1f5f9',
};
/** Bar colours of the coverage chart (the Frameworks page's). */
const STATUS_BAR: Record<ControlStatus, string> = {
  satisfied: '#15803d',
  partially_satisfied: '#d97706',
  not_satisfied: '#b91c1c',
  not_assessed: '#cbd5e1',
};
const SEVERITY_FILL: Record<Severity, string> = { critical: '#b91c1c', high: '#ea580c', medium: '#d97706', low: '#2563eb', info: '#64748b' };

/** The standard PDF fonts speak WinAnsi; map typographic characters to ones they can print. */
export function pdfText(s: string): string {
  return s
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201C\u201D]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\u2192/g, '->')
    .replace(/\u2026/g, '...')
    .replace(/[^\x20-\x7E\xA0-\xFF\n]/g, '?');
}

function worse(a: ExportFindingRow, b: ExportFindingRow): boolean {
  const d = SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
  return d !== 0 ? d < 0 : a.lastSeenAt.getTime() > b.lastSeenAt.getTime();
}

/** Findings that say the same thing: one rule, one identity, one title (e.g. each token of one identity). */
const sameKey = (x: ExportFindingRow) => `${x.rule}\u0000${x.identity ?? ''}\u0000${x.title}`;

export interface TopFinding {
  finding: ExportFindingRow;
  /** Other findings with the same rule, identity and title, folded into this one. */
  alike: number;
}

/**
 * The top findings across rules, without duplicates (pure over a stream; bounded memory): per
 * rule at most `limit` distinct findings are kept (worst first; a duplicate of one kept only
 * counts); then rules take turns, each rule's worst before any rule's second, rules ordered by
 * their worst finding. So one noisy rule cannot fill the page an auditor reads first.
 */
export class TopFindings {
  private readonly byRule = new Map<string, { kept: TopFinding[]; keys: Map<string, TopFinding> }>();
  constructor(private readonly limit = PDF_TOP_FINDINGS) {}

  add(x: ExportFindingRow): void {
    let r = this.byRule.get(x.rule);
    if (!r) this.byRule.set(x.rule, (r = { kept: [], keys: new Map() }));
    const dup = r.keys.get(sameKey(x));
    if (dup) {
      dup.alike += 1;
      if (worse(x, dup.finding)) dup.finding = x;
      r.kept.sort((a, b) => (worse(a.finding, b.finding) ? -1 : worse(b.finding, a.finding) ? 1 : 0));
      return;
    }
    if (r.kept.length >= this.limit && !worse(x, r.kept[r.kept.length - 1]!.finding)) return;
    const t: TopFinding = { finding: x, alike: 0 };
    const at = r.kept.findIndex((k) => worse(x, k.finding));
    r.kept.splice(at === -1 ? r.kept.length : at, 0, t);
    r.keys.set(sameKey(x), t);
    if (r.kept.length > this.limit) r.keys.delete(sameKey(r.kept.pop()!.finding));
  }

  list(): TopFinding[] {
    const rules = [...this.byRule.values()].map((r) => r.kept).filter((k) => k.length > 0);
    rules.sort((a, b) => (worse(a[0]!.finding, b[0]!.finding) ? -1 : worse(b[0]!.finding, a[0]!.finding) ? 1 : 0));
    const out: TopFinding[] = [];
    for (let i = 0; out.length < this.limit; i++) {
      const round = rules.filter((k) => k.length > i).map((k) => k[i]!);
      if (round.length === 0) break;
      // Within a round, worst first.
      round.sort((a, b) => (worse(a.finding, b.finding) ? -1 : worse(b.finding, a.finding) ? 1 : 0));
      out.push(...round.slice(0, this.limit - out.length));
    }
    return out;
  }
}

/** One control's evidence per mapped subject, for the report: "unbound_high_risk: 1 open; sender_constrained_enforced: 2 passed, 1 failed" (empty when nothing is mapped). */
export function controlEvidenceLine(a: ControlAssessment): string {
  const parts = a.counts.subjects.map((x) =>
    x.kind === 'positive_control'
      ? `${x.subject}: ${x.evaluated ? `${x.pass} passed, ${x.fail} failed` : 'no check ran'}`
      : `${x.subject}: ${!x.evaluated ? 'not run' : x.openFindings ? `${x.openFindings} open` : 'ran, none open'}`,
  );
  return parts.join('; ');
}

/** Streams the PDF report into `sink`; returns its SHA-256 and counts. */
export async function writePdfExport(meta: ExportMeta, source: ExportSource, sink: Writable): Promise<ExportResult> {
  const f = meta.framework;
  const stats = newStats(f.controls.length);
  const assessments = assess(meta, source);
  const totals = statusTotals(assessments);

  // One pass: severity counts and a bounded list of the worst findings.
  const bySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  const topFindings = new TopFindings();
  for await (const x of source.findings()) {
    stats.findings += 1;
    tick(meta, stats);
    bySeverity[x.severity] += 1;
    topFindings.add(x);
  }
  const top = topFindings.list();

  const generatedAt = meta.generatedAt.toISOString();
  const headerLine = pdfText(`Holdfast | ${f.name} ${f.version} | generated ${generatedAt} by ${meta.generatedBy}`);
  // Loaded on the first PDF, not by everything that imports the exporters (every CLI start
  // paid ~0.2 s for pdfkit and its fonts).
  const { default: PDFDocument } = (await import('pdfkit')) as { default: typeof PdfKit };
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN + 20, bottom: MARGIN, left: MARGIN, right: MARGIN },
    info: {
      Title: pdfText(`${f.name} ${f.version} - control report`),
      Author: pdfText(meta.generatedBy),
      Creator: pdfText(`${meta.tool?.name ?? 'Holdfast'} ${meta.tool?.version ?? ''}`.trim()),
      CreationDate: meta.generatedAt,
    },
  });
  const written = writeChunks(doc as unknown as AsyncIterable<Uint8Array>, sink);

  let pageNo = 1;
  const drawHeader = () => {
    const y = doc.y;
    doc.save().font('Helvetica').fontSize(8).fillColor('black');
    doc.text(headerLine, MARGIN, 30, { width: doc.page.width - 2 * MARGIN - 60, lineBreak: false });
    doc.text(`Page ${pageNo}`, doc.page.width - MARGIN - 60, 30, { width: 60, align: 'right', lineBreak: false });
    doc.moveTo(MARGIN, 44).lineTo(doc.page.width - MARGIN, 44).lineWidth(0.5).strokeColor('black').stroke();
    doc.restore();
    doc.x = MARGIN;
    doc.y = Math.max(y, MARGIN + 20);
  };
  doc.on('pageAdded', () => {
    pageNo += 1;
    drawHeader();
  });
  drawHeader();
  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const ensure = (h: number) => {
    if (doc.y + h > bottom()) doc.addPage();
  };

  // Title block.
  doc.font('Helvetica-Bold').fontSize(18).fillColor('black').text(pdfText(`${f.name} ${f.version}`), MARGIN, doc.y, { width });
  doc.font('Helvetica').fontSize(12).text('Control status report for non-human identity tokens', { width });
  doc.moveDown(0.5).fontSize(9);
  doc.text(pdfText(`Framework: ${f.id} (version ${f.version}, catalog ${f.catalogVersion}${f.custom ? ', custom' : ''})`));
  doc.text(pdfText(`Generated at: ${generatedAt}`));
  doc.text(pdfText(`Generated by: ${meta.generatedBy}`));
  if (meta.range) doc.text(`Evidence range: ${meta.range.from?.toISOString() ?? 'start'} to ${meta.range.to?.toISOString() ?? 'now'}`);

  // Summary.
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).text('Summary');
  doc.font('Helvetica').fontSize(10);
  doc.text(`${f.controls.length} controls: ${totals.satisfied} satisfied, ${totals.partially_satisfied} partially satisfied, ${totals.not_satisfied} not satisfied, ${totals.not_assessed} not assessed.`, { width });
  doc.text(`${stats.findings} findings in range: ${bySeverity.critical} critical, ${bySeverity.high} high, ${bySeverity.medium} medium, ${bySeverity.low} low, ${bySeverity.info} info.`, { width });
  doc.text(
    'Each status names its evidence: open findings of the mapped rules, positive checks passed and failed, and the mapped rules that ran. ' +
      'A control is satisfied only on evidence (a passed check, or a mapped rule that ran and found nothing open); with none it is not assessed.',
    { width },
  );

  // Coverage chart: one horizontal bar per status, length proportional to the control count.
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).text('Coverage');
  ensure(4 * 22 + 10);
  const chartTop = doc.y + 4;
  const labelW = 120;
  const barMax = width - labelW - 60;
  const order: ControlStatus[] = ['satisfied', 'partially_satisfied', 'not_satisfied', 'not_assessed'];
  order.forEach((s, i) => {
    const y = chartTop + i * 22;
    const n = totals[s];
    const w = f.controls.length === 0 ? 0 : Math.max(n > 0 ? 2 : 0, (n / f.controls.length) * barMax);
    doc.font('Helvetica').fontSize(9).fillColor('black').text(STATUS_WORDS[s], MARGIN, y + 4, { width: labelW, lineBreak: false });
    doc.rect(MARGIN + labelW, y, barMax, 16).lineWidth(0.5).strokeColor('#808080').stroke();
    if (w > 0) doc.rect(MARGIN + labelW, y, w, 16).fillAndStroke(STATUS_BAR[s], '#404040');
    const pct = f.controls.length === 0 ? 0 : Math.round((n / f.controls.length) * 100);
    doc.fillColor('black').text(`${n} (${pct}%)`, MARGIN + labelW + barMax + 6, y + 4, { width: 50, lineBreak: false });
  });
  doc.x = MARGIN;
  doc.y = chartTop + order.length * 22 + 6;

  // Control table.
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).fillColor('black').text('Controls', MARGIN, doc.y);
  const cols = [
    { key: 'id', title: 'ID', w: 70 },
    { key: 'title', title: 'Title', w: width - 70 - 95 - 3 * 40 },
    { key: 'status', title: 'Status', w: 95 },
    { key: 'open', title: 'Findings', w: 40 },
    { key: 'pass', title: 'Pass', w: 40 },
    { key: 'fail', title: 'Fail', w: 40 },
  ] as const;
  const titleW = (cols[1]?.w ?? 40) - 6;
  /** A row; `evidence` is printed under the title in small type, `status` colours the status cell. */
  const drawRow = (cells: readonly string[], bold: boolean, extra?: { evidence: string; status: ControlStatus }) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8);
    const evidenceH = extra ? doc.fontSize(7).heightOfString(extra.evidence, { width: titleW }) + 2 : 0;
    doc.fontSize(8);
    const h = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: (cols[i]?.w ?? 40) - 6 }) + (i === 1 ? evidenceH : 0))) + 6;
    if (doc.y + h > bottom()) {
      doc.addPage();
      if (!bold) drawRow(cols.map((c) => c.title), true);
    }
    const y = doc.y;
    let x = MARGIN;
    if (bold) doc.rect(MARGIN, y, width, h).fill('#e6e6e6').fillColor('black');
    if (extra) doc.rect(MARGIN + (cols[0]?.w ?? 0) + (cols[1]?.w ?? 0), y, cols[2]?.w ?? 0, h).fill(STATUS_FILL[extra.status]).fillColor('black');
    cells.forEach((c, i) => {
      doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8).fillColor('black').text(c, x + 3, y + 3, { width: (cols[i]?.w ?? 40) - 6 });
      if (i === 1 && extra) doc.font('Helvetica').fontSize(7).fillColor('#374151').text(extra.evidence, x + 3, doc.y + 1, { width: titleW });
      x += cols[i]?.w ?? 40;
    });
    doc.moveTo(MARGIN, y + h).lineTo(MARGIN + width, y + h).lineWidth(0.3).strokeColor('#808080').stroke();
    doc.x = MARGIN;
    doc.y = y + h;
  };
  doc.moveDown(0.3);
  drawRow(cols.map((c) => c.title), true);
  for (const a of assessments) {
    drawRow(
      [pdfText(a.control.id), pdfText(a.control.title), STATUS_WORDS[a.status], String(a.counts.openFindings), String(a.counts.positivePass), String(a.counts.positiveFail)],
      false,
      { status: a.status, evidence: pdfText(`Why: ${statusEvidence(a.status, a.counts).text.replace(/^.* — /, '')}.${a.counts.subjects.length ? ` Evidence: ${controlEvidenceLine(a)}.` : ''}`) },
    );
  }

  // Top findings with remediation.
  doc.moveDown(1);
  ensure(60);
  doc.font('Helvetica-Bold').fontSize(13).fillColor('black').text(`Top findings across rules (${top.length} of ${stats.findings})`, MARGIN, doc.y, { width });
  doc.font('Helvetica').fontSize(8).fillColor('#374151').text('Worst first, one rule at a time so every rule is represented; findings with the same rule, identity and title are listed once.', { width });
  doc.fillColor('black');
  if (top.length === 0) doc.font('Helvetica').fontSize(10).text('No findings in range.');
  const ruleControls = new Map<string, string[]>();
  for (const m of f.mapping) ruleControls.set(m.subject, [...(ruleControls.get(m.subject) ?? []), m.controlId]);
  top.forEach(({ finding: x, alike }, i) => {
    ensure(70);
    doc.moveDown(0.4);
    const y = doc.y;
    doc.rect(MARGIN, y + 1, 4, 10).fill(SEVERITY_FILL[x.severity]).fillColor('black');
    doc.font('Helvetica-Bold').fontSize(10).text(pdfText(`${i + 1}. [${x.severity.toUpperCase()}] ${redactSecrets(x.title)}`), MARGIN + 8, y, { width: width - 8 });
    doc.font('Helvetica').fontSize(9);
    doc.text(pdfText(`Rule ${x.rule}; identity ${x.identity ?? '-'}; status ${x.status}; last seen ${x.lastSeenAt.toISOString()}${alike ? `; and ${alike} more alike` : ''}`), MARGIN + 8, doc.y, { width: width - 8 });
    doc.text(pdfText(`Controls: ${(ruleControls.get(x.rule) ?? []).join(', ') || '-'}`), MARGIN + 8, doc.y, { width: width - 8 });
    doc.font('Helvetica-Oblique').text(pdfText(`Remediation: ${redactSecrets(x.recommendation)}`), MARGIN + 8, doc.y, { width: width - 8 });
    doc.x = MARGIN;
  });

  doc.end();
  const out = await written;
  return { format: 'pdf', ...stats, ...out };
}
