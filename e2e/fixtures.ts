import { expect, test, type Cookie, type Page } from '@playwright/test';
import { thisWorkersServer } from './servers.ts';

export const USERS = {
  admin: { email: 'admin@holdfast.test', password: 'e2e admin passphrase' },
  analyst: { email: 'analyst@holdfast.test', password: 'e2e analyst passphrase' },
  operator: { email: 'operator@holdfast.test', password: 'e2e operator passphrase' },
  auditor: { email: 'auditor@holdfast.test', password: 'e2e auditor passphrase' },
} as const;

/** Accounts at the e2e OpenID Provider (global-setup.ts): olivia is allow-listed as operator, mallory has no access. */
export const SSO_ACCOUNTS = {
  olivia: { email: 'olivia@corp.test' },
  mallory: { email: 'mallory@elsewhere.test' },
} as const;

/** Full-page screenshots of the current page at 1440, 1280 and 390 px (then back to 1280 × 720), named `<name>-<width>.png`. */
export async function shots(page: Page, name: string): Promise<void> {
  for (const width of [1440, 1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: test.info().outputPath(`${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}

/** Signs in on the sign-in page as a person does (email, password, button) and lands on `next`. */
export async function signInThroughForm(page: Page, who: keyof typeof USERS, next = '/') {
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(USERS[who].email);
  await page.getByLabel('Password').fill(USERS[who].password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toHaveText(USERS[who].email);
}

// The session cookie of each account's first sign-in in this worker (worker = one server).
const sessions = new Map<keyof typeof USERS, Cookie[]>();

/**
 * Opens `next` signed in as `who`, for journeys about what comes after signing in. The first one
 * of each account in a worker signs in through the form; later ones reuse that session's cookie
 * (the sign-in page, the password hash and the redirect cost about a second each time, and the
 * form has journeys of its own: signInThroughForm). A session that has ended is replaced by a new
 * sign-in through the form.
 */
export async function signIn(page: Page, who: keyof typeof USERS, next = '/') {
  const saved = sessions.get(who);
  if (saved) {
    await page.context().addCookies(saved);
    await page.goto(next);
    if (!new URL(page.url()).pathname.startsWith('/sign-in')) {
      await expect(page.getByTestId('who')).toHaveText(USERS[who].email);
      return;
    }
    sessions.delete(who);
  }
  await signInThroughForm(page, who, next);
  sessions.set(who, (await page.context().cookies()).filter((c) => c.name === 'hf_session'));
}

/** The API of this worker's server as the global setup's admin key calls it (status and JSON body), for arranging what a journey needs. */
export async function adminApi(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const { url, apiKey } = thisWorkersServer();
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** Uploads an NGINX JSON log on the Ingest page as `source`, as an operator does, and waits until every line is accepted. */
export async function uploadNginxJson(page: Page, name: string, text: string, source: string): Promise<void> {
  const n = text.split('\n').filter(Boolean).length;
  await page.goto('/ingest');
  await page.locator('input[type=file][name=file]').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
  await expect(page.getByTestId('dropzone')).toContainText(name);
  await page.getByLabel('Format').selectOption('nginx-json');
  await page.getByLabel('Source').fill(source);
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  await expect(page.getByTestId('ingest-result')).toContainText(`${n} lines read, ${n} accepted, 0 rejected`);
}
