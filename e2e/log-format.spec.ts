// Journey: a gateway owner's NGINX logs in a log_format of their own. The real nginx (Debian's) runs
// an mTLS server with that log_format and real TLS clients go through it; the admin creates a source
// on the Sources page, uploads nginx's configuration file as the source's log format and sees what
// will be read from each line; a configuration without a usable format is refused in one line. On
// the Ingest page format nginx offers only sources that keep an NGINX configuration (Apache: none
// yet, with the way to the Sources page); the log nginx wrote is uploaded and its lines accepted.
// Screenshots at 1440, 1280 and 390 px.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { addSelfSigned, BINDING_MATRIX, driveMatrix } from '../lib/testing/binding-matrix.ts';
import { createGatewayPki, nginxMtlsListen, type GatewayPki } from '../lib/testing/gateway-pki.ts';
import { startNginx } from '../lib/testing/nginx-launch.ts';
import { findNginx, freePort } from '../lib/testing/processes.ts';
import { signIn } from './fixtures.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';

let pki: GatewayPki | null = null;
let confText = '';
let logText = '';

test.beforeAll(async () => {
  test.skip(!NGINX && !IN_CI, 'nginx is not installed (apt-get install -y nginx); CI=true makes this a failure');
  if (!NGINX) throw new Error('CI=true but nginx is not installed');
  pki = createGatewayPki('holdfast-e2e-logformat-');
  const selfSigned = addSelfSigned(pki);
  const port = await freePort();
  // An owner's own format: ISO time, request, status, verify result, subject, the whole certificate
  // (for x5t#S256), NGINX's request id and the client's X-Request-ID. No token is logged.
  const nginx = await startNginx(NGINX, pki.dir, 'edge', `
  log_format edge_mtls '$time_iso8601 $remote_addr "$request" $status $ssl_client_verify "$ssl_client_s_dn" $request_id rid=$http_x_request_id cert=$ssl_client_escaped_cert';
  server {
${nginxMtlsListen(pki, port)}
    server_name api.test;
    access_log ${pki.dir}/edge-access.log edge_mtls;
    location / { return 200 "ok\\n"; }
  }`, [port]);
  try {
    await driveMatrix(pki, selfSigned, port);
  } finally {
    await nginx.stop();
  }
  confText = readFileSync(join(pki.dir, 'edge.conf'), 'utf8');
  logText = readFileSync(join(pki.dir, 'edge-access.log'), 'utf8');
});

test.afterAll(() => pki?.cleanup());

async function shots(page: Page, name: string) {
  for (const width of [1440, 1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: test.info().outputPath(`${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}

test('the admin saves an NGINX log_format on a source and uploads a log in that format', async ({ page }) => {
  test.setTimeout(120_000);
  expect(logText.trim().split('\n')).toHaveLength(BINDING_MATRIX.length);
  const source = `nginx-owner-${randomUUID().slice(0, 8)}`;

  await signIn(page, 'admin');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources' }).click();
  await page.getByLabel('Name', { exact: true }).fill(source);
  await page.getByRole('button', { name: 'Create source and key' }).click();
  await expect(page.getByTestId('source-key')).toBeVisible();

  // The table's link opens the source's log format.
  await page.getByRole('link', { name: `Set the log format of ${source}` }).click();
  await expect(page).toHaveURL(new RegExp(`logFormat=${source}`));
  const panel = page.getByTestId('log-format-panel');
  await expect(panel.getByRole('heading', { name: `Log format of ${source}` })).toBeVisible();

  // A format without anything to judge binding by is refused in one line; nothing is saved.
  await panel.getByRole('combobox', { name: /^Gateway/ }).selectOption('nginx');
  await panel.getByLabel(/^Configuration/).fill(`log_format plain '$time_iso8601 $status "$request"';`);
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(panel.getByTestId('log-format-error')).toHaveText("log_format 'plain' carries no token, certificate or verify result: nothing to judge binding by");

  // The configuration file nginx ran with, uploaded as it is.
  await panel.getByLabel('Or upload the configuration file').setInputFiles({ name: 'nginx.conf', mimeType: 'text/plain', buffer: Buffer.from(confText) });
  await expect(panel.getByLabel(/^Configuration/)).toHaveValue(confText);
  await panel.getByRole('button', { name: 'Save' }).click();
  const read = panel.getByTestId('log-format-read');
  await expect(read).toContainText('Reads NGINX format edge_mtls');
  for (const field of ['request_line', 'status', 'tls_verify', 'cert_subject', 'cert_pem', 'request_id', 'correlation_id']) await expect(read).toContainText(field);
  await expect(page.getByTestId('log-format-error')).toHaveCount(0);
  await expect(page.locator(`tr[data-source="${source}"] [data-testid="source-log-format"]`)).toContainText('edge_mtls');
  await shots(page, 'sources-log-format');

  // The Ingest page: Apache has no source with a saved configuration yet, NGINX has this one.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Ingest' }).click();
  await page.locator('input[type=file][name=file]').setInputFiles({ name: 'edge-access.log', mimeType: 'text/plain', buffer: Buffer.from(logText) });
  await page.getByLabel('Format').selectOption('apache');
  const note = page.getByTestId('gateway-format-note');
  await expect(note).toContainText('No source keeps a saved Apache configuration yet');
  await expect(note.getByRole('link', { name: 'Sources page' })).toHaveAttribute('href', '/sources#log-format');
  await expect(page.getByRole('button', { name: 'Ingest', exact: true })).toBeDisabled();
  await page.getByLabel('Format').selectOption('nginx');
  await page.getByLabel('Source').selectOption(source);
  await expect(note).toContainText('reads each line with the NGINX configuration saved on the source');
  await shots(page, 'ingest-gateway-format');
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  const result = page.getByTestId('ingest-result');
  await expect(result).toContainText(`${BINDING_MATRIX.length} lines read, ${BINDING_MATRIX.length} accepted, 0 rejected, 0 duplicates`);
  await expect(result).toContainText('Read with NGINX format edge_mtls');
  await expect(page.getByTestId('batches').locator('tbody tr', { hasText: source }).first()).toContainText('nginx');
});
