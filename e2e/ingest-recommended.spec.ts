// Journey: a gateway owner opens the Ingest page, finds the recommended configuration for their
// gateway (NGINX with njs, HAProxy, Apache, Caddy, forwarding behind a proxy) with the promise that
// it logs evidence and never a token, and uploads a Caddy access log with format caddy.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

test('the gateway owner finds the recommended configurations and ingests a Caddy log', async ({ page }) => {
  await signIn(page, 'operator');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Ingest' }).click();
  await expect(page.getByTestId('evidence-not-tokens')).toContainText('never the token itself');

  const expectations: Array<[string, string[]]> = [
    ['nginx-njs', ['js_set $holdfast_token_sha256 holdfast.tokenSha256;', "digest('base64url')", 'log_format holdfast_njs_json']],
    ['forwarding', ['proxy_set_header Client-Cert $holdfast_client_cert;', 'log_format holdfast_backend_json', '$holdfast_binding_ok']],
    ['haproxy', ['ssl_c_der,sha2(256),ub64enc', 'jwt_payload_query', 'len 16384', 'http-request del-header Client-Cert']],
    ['apache', ['%{SSL_CLIENT_CERT}x', 'SetEnvIf Authorization', 'apache-error', 'RequestHeader unset Client-Cert early']],
    ['caddy', ['request_header -Client-Cert', 'X-Client-Cert-Sha256', 'format json']],
  ];
  for (const [id, texts] of expectations) {
    const snippet = page.locator(`#snippet-${id}`);
    await snippet.locator('summary').click();
    for (const t of texts) await expect(snippet).toContainText(t);
    await expect(snippet).not.toContainText('$http_authorization"');
  }
  await page.screenshot({ path: test.info().outputPath('ingest-recommended.png'), fullPage: true });

  // A Caddy access line as caddy 2.6 writes it, uploaded with format caddy.
  const run = randomUUID().slice(0, 8);
  const line = (i: number, cn: string | null) =>
    JSON.stringify({
      level: 'info', ts: 1796379208.456 + i, logger: 'http.log.access.log0', msg: 'handled request',
      request: {
        remote_ip: '10.0.0.7', remote_port: '40964', proto: 'HTTP/2.0', method: 'GET', host: 'api.example.com', uri: `/e2e-caddy/${run}/${i}`,
        headers: { Authorization: [], 'X-Request-Id': [`caddy-${run}-${i}`] },
        tls: { resumed: false, version: 772, cipher_suite: 4865, proto: 'h2', server_name: 'api.example.com', ...(cn ? { client_common_name: cn, client_serial: '4097' } : {}) },
      },
      user_id: '', duration: 0.0004, size: 3, status: 200, resp_headers: { Server: ['Caddy'] },
    });
  const body = `${line(1, 'svc-caddy')}\n${line(2, null)}\n{"level":"info","ts":1796379245.8,"logger":"http.log","msg":"server running"}\n`;
  await page.locator('input[type=file][name=file]').setInputFiles({ name: 'caddy-access.json', mimeType: 'application/json', buffer: Buffer.from(body) });
  await page.getByLabel('Format').selectOption('caddy');
  await page.getByLabel('Source').fill(`caddy-${run}`);
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  await expect(page.getByTestId('ingest-result')).toContainText('3 lines read, 2 accepted, 0 rejected, 0 duplicates, 1 skipped (no request on the line).');
});
