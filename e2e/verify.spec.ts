// Journey: an analyst checks a captured request on the Verify page — the RFC 9449 §4.1 proof
// (signed in 2019, so its iat is out of the window today), then a fresh proof made with jose
// for a DPoP-bound token, then a certificate fingerprint; the CLI agrees through the server.
import { createHash, randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { runCli } from '../lib/testing/processes.ts';
import { signIn } from './fixtures.ts';
import { thisWorkersServer } from './servers.ts';

const RFC_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';
const RFC_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const TOKEN_URL = 'https://server.example.com/token';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

test('the analyst verifies a DPoP proof and a certificate on the Verify page', async ({ page }) => {
  await signIn(page, 'analyst');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Verify a request' })).toBeVisible();
  const dpop = page.getByRole('form', { name: 'Verify a DPoP proof' });
  await expect(dpop).toBeVisible();
  await expect(page.getByRole('form', { name: 'Verify a client certificate' })).toBeHidden();

  // The RFC's own proof: signature, htm and htu are fine, but it was made in 2019.
  await dpop.getByLabel('DPoP proof').fill(RFC_PROOF);
  await dpop.getByLabel('Method').fill('POST');
  await dpop.getByLabel('URL').fill(TOKEN_URL);
  await dpop.getByRole('button', { name: 'Verify proof' }).click();
  const result = page.getByTestId('verify-result');
  await expect(result.getByTestId('verify-verdict')).toContainText('Failed: iat');
  await expect(result.getByTestId('verify-thumbprint')).toHaveText(RFC_JKT);
  await expect(result.getByTestId('check-iat')).toHaveAttribute('data-ok', 'false');
  await expect(result.getByTestId('check-iat')).toContainText(/iat is \d+ s old/);
  await expect(result.getByTestId('check-signature')).toHaveAttribute('data-ok', 'true');
  await expect(result.getByTestId('check-htu')).toContainText('✓ pass');
  await expect(result.getByTestId('verify-explanation')).toContainText('outside the accepted window');
  await page.screenshot({ path: test.info().outputPath('verify-rfc-proof-iat.png'), fullPage: true });

  // A fresh proof made by jose for a DPoP-bound access token (with ath): every check passes.
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  const token = `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ sub: 'svc-e2e', exp: Math.floor(Date.now() / 1000) + 600, cnf: { jkt } })}.${Buffer.from(randomUUID()).toString('base64url')}`;
  const url = 'https://api.example.com/payments/42';
  const proof = await new SignJWT({ htm: 'GET', htu: url, jti: randomUUID(), ath: createHash('sha256').update(token).digest('base64url') })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    .setIssuedAt()
    .sign(privateKey);
  await dpop.getByLabel('DPoP proof').fill(proof);
  await dpop.getByLabel('Method').fill('GET');
  await dpop.getByLabel('URL').fill(url);
  await dpop.getByLabel('Access token').fill(token);
  await dpop.getByRole('button', { name: 'Verify proof' }).click();
  // The verdict names what was not checked: no replay store here, so a replayed proof would pass too.
  await expect(result.getByTestId('verify-verdict')).toHaveText('✓ Verified — not checked: nonce, jti');
  await expect(result.getByTestId('not-checked-jti')).toContainText('replayed proof');
  await expect(result.getByTestId('verify-thumbprint')).toHaveText(jkt);
  await expect(result.getByTestId('check-ath')).toHaveAttribute('data-ok', 'true');
  await expect(result.getByTestId('check-jkt')).toHaveAttribute('data-ok', 'true');
  await expect(result.getByTestId('verify-token-fingerprint')).toContainText('dpop-bound');
  // The token is cleared from the form and never rendered back.
  await expect(dpop.getByLabel('Access token')).toHaveValue('');
  expect(await page.content()).not.toContain(token);
  await page.screenshot({ path: test.info().outputPath('verify-fresh-proof-ok.png'), fullPage: true });

  // mTLS: an Envoy hex SHA-256 fingerprint against an expected x5t#S256 that is not it.
  await page.getByRole('tab', { name: 'mTLS certificate' }).click();
  const mtls = page.getByRole('form', { name: 'Verify a client certificate' });
  await expect(mtls).toBeVisible();
  await expect(dpop).toBeHidden();
  await expect(result).toBeHidden();
  const hex = createHash('sha256').update('some certificate DER').digest('hex');
  await mtls.getByLabel('Client certificate').fill(hex);
  await mtls.getByLabel('Expected x5t#S256').fill(createHash('sha256').update('another certificate').digest('base64url'));
  await mtls.getByRole('button', { name: 'Verify certificate' }).click();
  await expect(result.getByTestId('verify-verdict')).toContainText('Failed: x5t_mismatch');
  await expect(result.getByTestId('verify-thumbprint')).toHaveText(Buffer.from(hex, 'hex').toString('base64url'));
});

test('holdfast verify dpop --server gives the same answer as the pure local check', async () => {
  const args = ['verify', 'dpop', '--proof', RFC_PROOF, '--method', 'POST', '--url', TOKEN_URL, '--now', '1562262616', '--json'];
  const [local, remote] = await Promise.all([
    runCli(args, { env: { HOLDFAST_DATA_DIR: test.info().outputPath('never-created') } }),
    runCli([...args, '--server', thisWorkersServer().url, '--api-key', thisWorkersServer().apiKey]),
  ]);
  expect(local.code, local.stderr).toBe(0);
  expect(remote.code, remote.stderr).toBe(0);
  expect(JSON.parse(remote.stdout)).toEqual(JSON.parse(local.stdout));
  expect(JSON.parse(remote.stdout)).toMatchObject({ ok: true, jkt: RFC_JKT });
  const late = await runCli(['verify', 'dpop', '--proof', RFC_PROOF, '--method', 'POST', '--url', TOKEN_URL, '--json', '--server', thisWorkersServer().url, '--api-key', thisWorkersServer().apiKey]);
  expect(late.code).toBe(1);
  expect(JSON.parse(late.stdout)).toMatchObject({ ok: false, reason: 'iat' });
});
