// Saved plans: the list, one plan with its progress (the plan's policy, its whole scope, re-run over
// the evidence since it was saved, in total and per day), a wave's configuration, exports.
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import { keycloakSnippet, oidcProviderSnippet, planCsv, planJson, planPdf, planProgress, waveGatewayConfig, type PlanExportFormat, type RolloutPlan, type WaveGatewayOptions, type WaveNumber } from '../../plan/index.ts';
import { resolveScope } from '../simulation/scope.ts';
import { summaryOf } from './create-plan.ts';
import { readPlanIdentities } from './read-evidence.ts';
import type { ProgressPoint, SavedPlan, SavedPlanSummary } from './types.ts';
import { isUuid } from '../../domain/uuid.ts';

/** Days of history drawn (the most recent ones). */
export const PROGRESS_DAYS = 30;
const DAY = 86_400_000;

export async function listPlans(db: Database, opts: { limit?: number } = {}): Promise<SavedPlanSummary[]> {
  const rows = await db.prisma.rolloutPlan.findMany({ orderBy: { createdAt: 'desc' }, take: opts.limit ?? 100, select: { id: true, name: true, createdAt: true, createdBy: true, rangeFrom: true, rangeTo: true, plan: true } });
  return rows.map((r) => summaryOf({ ...r, plan: r.plan as unknown as RolloutPlan }));
}

async function loadPlan(db: Database, id: string) {
  if (!isUuid(id)) throw new HoldfastError('not_found', `no plan ${id.slice(0, 40)}`);
  const r = await db.prisma.rolloutPlan.findUnique({ where: { id } });
  if (!r) throw new HoldfastError('not_found', `no plan ${id}`);
  return { ...r, plan: r.plan as unknown as RolloutPlan };
}

export async function getPlan(db: Database, id: string, now: Date = new Date()): Promise<SavedPlan> {
  const r = await loadPlan(db, id);
  const since = { from: r.createdAt, to: new Date(Math.max(now.getTime(), r.createdAt.getTime() + 1)) };
  // The plan's whole scope, resolved once; a gateway or source gone since narrows to nothing.
  const scope = await resolveScope(db, r.plan.policy, { refuseUnknown: false });
  const progress = planProgress(r.plan, await readPlanIdentities(db, r.plan.policy, scope, since), since);
  const history: ProgressPoint[] = [];
  const firstDay = Math.max(Math.floor(r.createdAt.getTime() / DAY), Math.floor(now.getTime() / DAY) - PROGRESS_DAYS + 1);
  for (let d = firstDay; d * DAY <= now.getTime(); d++) {
    const range = { from: new Date(Math.max(d * DAY, r.createdAt.getTime())), to: new Date(Math.min((d + 1) * DAY, now.getTime() + 1)) };
    const p = planProgress(r.plan, await readPlanIdentities(db, r.plan.policy, scope, range), range);
    history.push({ day: new Date(d * DAY).toISOString().slice(0, 10), waves: p.waves.map((w) => ({ wave: w.wave, ratio: w.ratio, enforced: w.enforced })) });
  }
  return { id: r.id, name: r.name, createdAt: r.createdAt.toISOString(), createdBy: r.createdBy, plan: r.plan, progress, history };
}

export function parseWave(n: string): WaveNumber {
  if (!/^[0-3]$/.test(n)) throw new HoldfastError('bad_request', 'the wave must be 0, 1, 2 or 3', { errors: [{ path: 'n', message: 'must be 0, 1, 2 or 3' }] });
  return Number(n) as WaveNumber;
}

/** The wave's gateway configuration as a download; refusals (wave 3, a bad option) are 422s naming the reason. */
export async function planWaveGatewayConfig(db: Database, id: string, wave: WaveNumber, o: WaveGatewayOptions): Promise<{ filename: string; text: string }> {
  const r = await loadPlan(db, id);
  return { filename: `holdfast-plan-${r.id.slice(0, 8)}-wave-${wave}-${o.gateway}.conf`, text: waveGatewayConfig(r.plan, wave, o) };
}

/** The wave's authorization-server configuration (oidc-provider or Keycloak). */
export async function planWaveAuthorizationServerConfig(db: Database, id: string, wave: WaveNumber, server: 'oidc-provider' | 'keycloak'): Promise<{ filename: string; text: string }> {
  const r = await loadPlan(db, id);
  const w = r.plan.waves.find((x) => x.wave === wave);
  if (!w) throw new HoldfastError('not_found', `the plan has no wave ${wave}`);
  return server === 'keycloak'
    ? { filename: `holdfast-plan-${r.id.slice(0, 8)}-wave-${wave}-keycloak.sh`, text: keycloakSnippet(w, r.plan.policy) }
    : { filename: `holdfast-plan-${r.id.slice(0, 8)}-wave-${wave}-oidc-provider.js`, text: oidcProviderSnippet(w, r.plan.policy) };
}

export async function exportPlan(db: Database, id: string, format: PlanExportFormat, actor: string, now: Date = new Date()): Promise<{ filename: string; contentType: string; body: string | Buffer }> {
  const saved = await getPlan(db, id, now);
  const meta = { id: saved.id, name: saved.name, createdBy: saved.createdBy, generatedAt: now, generatedBy: actor };
  const base = `holdfast-plan-${saved.id.slice(0, 8)}`;
  if (format === 'csv') return { filename: `${base}.csv`, contentType: 'text/csv; charset=utf-8', body: planCsv(saved.plan) };
  if (format === 'json') return { filename: `${base}.json`, contentType: 'application/json', body: planJson(meta, saved.plan, saved.progress) };
  return { filename: `${base}.pdf`, contentType: 'application/pdf', body: await planPdf(meta, saved.plan, saved.progress) };
}
