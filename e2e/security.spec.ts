// Attacks a token-governance dashboard must shrug off, tried from a real browser.
import http from 'node:http';
import { expect, test } from '@playwright/test';
import { signIn, signInThroughForm, USERS } from './fixtures.ts';

const PAYLOADS = [
  `<script>window.__pwned=1</script>`,
  `"><img src=x onerror="window.__pwned=1">`,
  `' OR 1=1; DROP TABLE "Token"; --`,
  `javascript:window.__pwned=1`,
  `%00%ff\u202e`,
];

test('a session cookie planted before sign-in is never adopted (no session fixation)', async ({ page, context, baseURL }) => {
  const url = new URL(baseURL!);
  await context.addCookies([{ name: 'hf_session', value: 'attacker-chosen-value', domain: url.hostname, path: '/' }]);
  await signInThroughForm(page, 'analyst');
  const after = (await context.cookies()).find((c) => c.name === 'hf_session');
  expect(after?.value).toBeTruthy();
  expect(after?.value).not.toBe('attacker-chosen-value');
  expect(after?.httpOnly).toBe(true);
  expect(after?.sameSite).toBe('Lax');
  // The planted value signs nobody in.
  const res = await page.request.get('/api/v1/summary', { headers: { cookie: 'hf_session=attacker-chosen-value' } });
  expect(res.status()).toBe(401);
});

test('injection attempts in every filter are inert: no script runs and nothing answers 500', async ({ page }) => {
  // 8 pages and 4 APIs × every payload: 35 s alone on a loaded 2-core machine, over 60 s with a
  // second worker beside it.
  test.slow();
  let dialogs = 0;
  page.on('dialog', async (d) => {
    dialogs++;
    await d.dismiss();
  });
  await signIn(page, 'admin');
  const pages = ['/tokens?binding=', '/tokens?status=', '/identities?kind=', '/failures?verdict=', '/findings?rule=', '/audit?action=', '/frameworks?framework=', '/tokens?after='];
  for (const p of pages) {
    for (const payload of PAYLOADS) {
      const res = await page.goto(p + encodeURIComponent(payload));
      expect.soft(res!.status(), `${p}${payload}`).toBeLessThan(500);
      expect.soft(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), `${p}${payload}`).toBeUndefined();
    }
  }
  const apis = ['/api/v1/tokens?binding=', '/api/v1/events?verdict=', '/api/v1/findings?rule=', '/api/v1/identities?kind='];
  for (const p of apis) {
    for (const payload of PAYLOADS) {
      const res = await page.request.get(p + encodeURIComponent(payload));
      expect.soft(res.status(), `${p}${payload}`).toBeLessThan(500);
    }
  }
  // Text fields that are stored and shown again: an API key name.
  await page.goto('/settings');
  await page.getByRole('form', { name: 'Create API key' }).getByLabel('Name').fill(PAYLOADS[1]!);
  await page.getByRole('button', { name: 'Create API key' }).click();
  await expect(page.getByTestId('new-api-key')).toBeVisible();
  await page.reload();
  await expect(page.getByText(PAYLOADS[1]!, { exact: true })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(dialogs).toBe(0);
});

test('a cross-site form post from another origin cannot act with the victim session', async ({ page, baseURL }) => {
  await signIn(page, 'admin');
  // A page on another origin (another port is another origin) auto-submits a forged request.
  const evil = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<form id=f method=POST action="${baseURL}/api/v1/api-keys" enctype="text/plain"><input name='{"name":"evil","role":"admin","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  const port = (evil.address() as { port: number }).port;
  try {
    const response = page.waitForResponse((r) => r.url().endsWith('/api/v1/api-keys') && r.request().method() === 'POST');
    await page.goto(`http://127.0.0.1:${port}/`);
    const res = await response;
    expect([403, 415]).toContain(res.status());
  } finally {
    evil.close();
  }
  const list = await page.request.get(`${baseURL}/api/v1/api-keys`);
  const names = ((await list.json()) as { apiKeys: Array<{ name: string }> }).apiKeys.map((k) => k.name);
  expect(names).not.toContain('evil');
});

test('sign-in is throttled per account with 429 and Retry-After after a burst', async ({ request }) => {
  let limited: { status: number; retryAfter: string | undefined } | null = null;
  for (let i = 0; i < 15 && !limited; i++) {
    const res = await request.post('/api/v1/auth/sign-in', { data: { email: 'nobody-throttle@holdfast.test', password: `wrong ${i}` } });
    if (res.status() === 429) limited = { status: 429, retryAfter: res.headers()['retry-after'] };
  }
  expect(limited?.status).toBe(429);
  expect(Number(limited?.retryAfter)).toBeGreaterThan(0);
});

// Open redirect after sign-in (issue #14, item 4): browsers read `\` as `/` and drop tabs, so
// these links used to land the user, just signed in, on another host. A stand-in for that host
// answers every request the browser makes to it, so a redirect shows up as a page, not a DNS error.
for (const next of ['/%5Cevil.example/phish', '/%09/evil.example/phish', '/%5C%5Cevil.example/phish', '//evil.example/phish']) {
  test(`signing in from /sign-in?next=${next} stays on Holdfast`, async ({ page, baseURL }) => {
    await page.route((url) => url.hostname === 'evil.example', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>phished</h1>' }));
    await page.goto(`/sign-in?next=${next}`);
    await page.getByLabel('Email').fill(USERS.auditor.email);
    await page.getByLabel('Password').fill(USERS.auditor.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('who')).toHaveText(USERS.auditor.email);
    expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
    await expect(page.getByText('phished')).toHaveCount(0);
  });
}

test('a deep link survives sign-in: /tokens?binding=bearer signed out lands on /tokens?binding=bearer after signing in', async ({ page }) => {
  await page.goto('/tokens?binding=bearer');
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  await page.getByLabel('Email').fill(USERS.analyst.email);
  await page.getByLabel('Password').fill(USERS.analyst.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toHaveText(USERS.analyst.email);
  const landed = new URL(page.url());
  expect(`${landed.pathname}${landed.search}`).toBe('/tokens?binding=bearer');
});
