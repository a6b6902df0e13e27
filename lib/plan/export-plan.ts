// A plan as CSV (one row per identity, for a spreadsheet), JSON (the plan and its progress as the
// API answers them) and PDF (for people: waves, identities, steps, controls, progress). Plans are
// small (one row per identity in scope), so each is built in memory.
import type PdfKit from 'pdfkit';
import { csvLine } from '../frameworks/export/csv.ts';
import { pdfText } from '../frameworks/export/pdf.ts';
import { scopeWords } from '../simulate/describe-scope.ts';
import { WAVE_REASON_WORDS } from './assign-wave.ts';
import { selectorsNotInConfig } from './gateway-config.ts';
import { MECHANISM_REASON_WORDS } from './recommend-mechanism.ts';
import type { PlanProgress, RolloutPlan } from './types.ts';

export type PlanExportFormat = 'csv' | 'json' | 'pdf';
export const PLAN_EXPORT_FORMATS: readonly PlanExportFormat[] = ['csv', 'json', 'pdf'];

export interface PlanExportMeta {
  id: string;
  name: string;
  createdBy: string;
  generatedAt: Date;
}

export const PLAN_CSV_COLUMNS = [
  'wave', 'wave_title', 'identity', 'kind', 'why_this_wave', 'mechanism', 'mechanism_reasons', 'requests', 'would_be_refused', 'attacks_stopped',
  'legitimate_broken', 'exception_owner', 'exception_expires', 'exception_max_ttl_seconds', 'exception_allow_networks',
  'policy_require', 'policy_max_ttl_seconds', 'policy_scope',
] as const;

/** The plan's policy in words: "require mtls, max token TTL 900 s; scope: source edge, privileged tokens". */
export function planPolicyWords(plan: RolloutPlan): string {
  const p = plan.policy;
  return `require ${p.require}${p.maxTtlSeconds ? `, max token TTL ${p.maxTtlSeconds} s` : ''}; scope: ${scopeWords(p.scope)}`;
}

export function planCsv(plan: RolloutPlan): string {
  const p = plan.policy;
  const policy = [p.require, p.maxTtlSeconds ?? '', scopeWords(p.scope)];
  let out = csvLine(PLAN_CSV_COLUMNS);
  for (const w of plan.waves) {
    for (const i of w.identities) {
      out += csvLine([
        w.wave, w.title, i.name, i.kind, WAVE_REASON_WORDS[i.reason], i.mechanism?.mechanism ?? '',
        i.mechanism?.reasons.map((r) => MECHANISM_REASON_WORDS[r]).join('; ') ?? '',
        i.requests.total, i.requests.wouldBeRefused, i.requests.attacksStopped, i.requests.legitimateBroken,
        i.exception?.owner ?? '', i.exception?.expiresAt ?? '', i.exception?.maxTtlSeconds ?? '', i.exception?.allowNetworks.join(' ') ?? '',
        ...policy,
      ]);
    }
  }
  return out;
}

export function planJson(meta: PlanExportMeta, plan: RolloutPlan, progress: PlanProgress | null): string {
  return `${JSON.stringify({ id: meta.id, name: meta.name, createdBy: meta.createdBy, generatedAt: meta.generatedAt.toISOString(), plan, progress }, null, 2)}\n`;
}

const MARGIN = 50;

/** The PDF report of a plan, as bytes. */
export async function planPdf(meta: PlanExportMeta, plan: RolloutPlan, progress: PlanProgress | null): Promise<Buffer> {
  // Loaded on the first PDF only (pdfkit and its fonts cost a CLI start ~0.2 s).
  const { default: PDFDocument } = (await import('pdfkit')) as { default: typeof PdfKit };
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    info: { Title: pdfText(`Rollout plan - ${meta.name}`), Author: pdfText(meta.createdBy), CreationDate: meta.generatedAt },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  const t = (s: string, opts?: PDFKit.Mixins.TextOptions) => doc.text(pdfText(s), opts);
  const p = plan.policy;
  doc.font('Helvetica-Bold').fontSize(18);
  t(`Rollout plan: ${meta.name}`);
  doc.font('Helvetica').fontSize(9).fillColor('#404040');
  t(`Holdfast | plan ${meta.id} | generated ${meta.generatedAt.toISOString()} | saved by ${meta.createdBy}`);
  t(`Policy: ${planPolicyWords(plan)}`);
  const notChecked = selectorsNotInConfig(p);
  if (notChecked.length) t(`The gateway configurations are scoped by route only: the ${notChecked.join(', ')} chose which identities are in the waves, not what the gateway enforces.`);
  t(`Simulated over ${plan.range.from} to ${plan.range.to}: ${plan.totals.requests} requests, ${plan.totals.wouldBeRefused} would be refused (${plan.totals.attacksStopped} attacks stopped, ${plan.totals.legitimateBroken} legitimate broken), ${plan.totals.identities} identities.`);
  doc.fillColor('black').moveDown();
  for (const w of plan.waves) {
    const pr = progress?.waves.find((x) => x.wave === w.wave);
    doc.font('Helvetica-Bold').fontSize(13);
    t(`Wave ${w.wave}: ${w.title} (${w.identities.length} identities)`);
    doc.font('Helvetica').fontSize(9);
    t(`Expected refused if enforced now: ${w.expectedRefused.total} requests (${w.expectedRefused.perDay}/day): ${w.expectedRefused.legitimateBroken} legitimate, ${w.expectedRefused.attacksStopped} attacks.`);
    if (pr) t(`Progress since the plan: ${pr.compliant}/${pr.identities} identities compliant, ${pr.notSeen} not seen, ${pr.requests.wouldBeRefused} requests still getting through that the policy refuses, ${pr.requests.refusedByGateway} refused by the gateway${pr.enforced ? ' - enforced' : ''}.`);
    for (const s of w.steps) t(`- ${s}`, { indent: 10 });
    for (const i of w.identities) {
      const mech = i.mechanism ? ` | ${i.mechanism.mechanism}: ${i.mechanism.reasons.map((r) => MECHANISM_REASON_WORDS[r]).join('; ')}` : '';
      const exc = i.exception ? ` | exception until ${i.exception.expiresAt}, owner ${i.exception.owner}, TTL <= ${i.exception.maxTtlSeconds} s, networks ${i.exception.allowNetworks.join(' ') || 'none seen'}` : '';
      t(`${i.name} (${i.kind ?? 'unknown kind'}): ${i.requests.wouldBeRefused} would be refused of ${i.requests.total}${mech}${exc}`, { indent: 10 });
    }
    if (w.controls.length) t(`Controls advanced: ${w.controls.map((c) => `${c.framework} ${c.control}`).join(', ')}`, { indent: 10 });
    doc.moveDown();
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}
