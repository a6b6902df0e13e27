// Journey: a platform owner plans enforcement. Real clients (the enforcement scenario's: a
// legitimate certificate-bound client, a stolen token replayed with another certificate, a bound
// token sent without its certificate, a bearer token from a client that presents a certificate)
// call a real NGINX that only logs; the operator uploads its log on the Ingest page, opens
// /plans/new with the simulate page's query (require mtls on one host and path), builds the plan,
// reads which identity lands in which wave, and downloads wave 2's NGINX configuration. The test
// harness applies that file to a real NGINX (adapting the example TLS paths and listen port, as an
// operator adapts them), drives the same clients through it, the operator uploads the new log, and
// the plan page shows both waves enforced. Identities, paths and sources are unique per run.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { jwt, MTLS_CLIENTS } from '../lib/enforcement/testing/clients.ts';
import { startLoggingOnlyNginx, startRecordingUpstream } from '../lib/enforcement/testing/enforcing-nginx.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../lib/testing/gateway-pki.ts';
import { startNginx } from '../lib/testing/nginx-launch.ts';
import { findNginx, freePort } from '../lib/testing/processes.ts';
import { signIn, uploadNginxJson } from './fixtures.ts';

const NGINX = findNginx();

/** The downloaded text cut into main context, http block and njs files (its `# ==== … ====` sections). */
function cut(text: string): { main: string; http: string; files: { path: string; content: string }[] } {
  const parts = text.split(/^# ==== (.+?) ====\n/m);
  const out = { main: '', http: '', files: [] as { path: string; content: string }[] };
  for (let i = 1; i < parts.length; i += 2) {
    const title = parts[i]!;
    if (title.startsWith('main context')) out.main = parts[i + 1]!;
    else if (title === 'http block') out.http = parts[i + 1]!;
    else if (title.startsWith('file ')) out.files.push({ path: title.slice(5), content: parts[i + 1]! });
  }
  return out;
}

test('an operator builds a rollout plan from a simulation, downloads wave 2\'s NGINX configuration, and the plan shows the waves enforced once it runs', async ({ page }) => {
  test.skip(!NGINX && process.env.CI !== 'true', 'nginx is not installed');
  expect(NGINX, 'CI=true needs nginx').toBeTruthy();
  const run = randomUUID().slice(0, 8);
  const pki: GatewayPki = createGatewayPki('holdfast-e2e-plan-');
  const upstream = await startRecordingUpstream();
  try {
    const tokens = {
      bound: jwt({ client_id: `svc-pay-${run}`, sub: `svc-pay-${run}`, jti: `bound-${run}`, cnf: { 'x5t#S256': pki.clients.good.x5t } }),
      bearer: jwt({ client_id: `svc-legacy-${run}`, sub: `svc-legacy-${run}`, jti: `bearer-${run}` }),
    };
    const drive = async (port: number) => {
      const statuses: number[] = [];
      for (const c of MTLS_CLIENTS) statuses.push((await tlsRequest(pki, { port, path: `/plan-${run}${c.path}`, client: c.cert, headers: { Authorization: `Bearer ${tokens[c.token]}` } })).status);
      return statuses;
    };

    // Before: a gateway that only logs lets everything through.
    const before = await startLoggingOnlyNginx(NGINX!, pki, 'before', upstream.url);
    expect(await drive(before.port)).toEqual([200, 200, 200, 200]);
    const beforeLog = await before.stop();
    await signIn(page, 'operator');
    await uploadNginxJson(page, 'before.json', beforeLog, `e2e-plan-edge-${run}`);
    await page.waitForTimeout(1100); // log times are whole seconds: the plan is saved after them

    // The simulate page's link: same query.
    const from = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await page.goto(`/plans/new?require=mtls&route=${encodeURIComponent(`api.test/plan-${run}`)}&from=${from}`);
    await expect(page.getByRole('heading', { name: 'New rollout plan' })).toBeVisible();
    await expect(page.getByLabel('Require')).toHaveValue('mtls');
    await page.getByLabel('Name').fill(`Require mTLS on /plan-${run}`);
    await page.getByLabel('Exceptions').fill('');
    // Enter pressed twice before the page repaints: one plan saved, not two.
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/plans')) posts.push(r.url());
    });
    await page.getByRole('form', { name: 'Rollout plan' }).evaluate((f: HTMLFormElement) => {
      f.requestSubmit();
      f.requestSubmit();
    });
    await expect(page.getByRole('heading', { name: `Require mTLS on /plan-${run}`, level: 1 })).toBeVisible();
    expect(posts).toHaveLength(1);
    const wave1 = page.getByTestId('wave-1');
    const wave2 = page.getByTestId('wave-2');
    await expect(wave1).toContainText(`svc-legacy-${run}`);
    await expect(wave1).toContainText('already presents a certificate or DPoP key but holds unbound tokens');
    await expect(wave2).toContainText(`svc-pay-${run}`);
    await expect(wave2).toContainText('mTLS: the policy requires it');
    await expect(page.getByTestId('wave-2-progress')).toContainText('no traffic from these identities yet');
    await page.screenshot({ path: test.info().outputPath('plan-before.png'), fullPage: true });

    // Where the gateway sends passing requests and writes its log, then the download.
    const logPath = join(pki.dir, `plan-${run}.log`);
    await page.getByLabel('Upstream').fill(upstream.url);
    await page.getByLabel('Access log path').fill(logPath);
    await page.getByRole('button', { name: 'Use in downloads' }).click();
    await expect(page.getByLabel('Upstream')).toHaveValue(upstream.url);
    const [download] = await Promise.all([page.waitForEvent('download'), wave2.getByRole('link', { name: 'NGINX config' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^holdfast-plan-[0-9a-f]{8}-wave-2-nginx\.conf$/);
    const text = readFileSync(await download.path(), 'utf8');
    expect(text).toContain(`proxy_pass ${upstream.url};`);
    expect(text).toContain(`access_log ${logPath} holdfast_enforce_json;`);

    // The harness applies it: the operator's own certificate paths, port and njs directory.
    const port = await freePort();
    const adapt = (s: string) => s
      .replaceAll('/etc/nginx/tls/server.crt', pki.serverCertPath)
      .replaceAll('/etc/nginx/tls/server.key', pki.serverKeyPath)
      .replaceAll('/etc/nginx/tls/client-ca.crt', `${pki.caPath};\n  ssl_crl ${pki.crlPath}`)
      .replaceAll('/etc/nginx/njs', pki.dir)
      .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`);
    const conf = cut(text);
    for (const f of conf.files) writeFileSync(adapt(f.path), f.content);
    const nginx = await startNginx(NGINX!, pki.dir, `plan-${run}`, adapt(conf.http), [port], conf.main);
    let statuses: number[];
    try {
      statuses = await drive(port);
    } finally {
      await nginx.stop();
    }
    expect(statuses).toEqual(MTLS_CLIENTS.map((c) => c.enforced.status));
    const planUrl = page.url();
    await uploadNginxJson(page, 'enforced.json', readFileSync(logPath, 'utf8'), `e2e-plan-edge-${run}`);

    await page.goto(planUrl);
    await expect(page.getByTestId('wave-1-progress')).toContainText('1/1 identities compliant');
    await expect(page.getByTestId('wave-1-progress')).toContainText('1 refused by the gateway');
    await expect(page.getByTestId('wave-1-progress').getByText('enforced', { exact: true })).toBeVisible();
    await expect(page.getByTestId('wave-2-progress')).toContainText('2 refused by the gateway');
    await expect(page.getByTestId('wave-2-progress').getByText('enforced', { exact: true })).toBeVisible();
    await expect(page.getByTestId('progress-chart')).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('plan-enforced.png'), fullPage: true });

    // The list names it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rollout plans' }).click();
    await expect(page.getByRole('link', { name: `Require mTLS on /plan-${run}` })).toBeVisible();
  } finally {
    await upstream.close();
    pki.cleanup();
  }
});
