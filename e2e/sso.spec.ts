// Single sign-on in a real browser: the sign-in page's "Sign in with SSO" → a real OpenID
// Provider's own login and consent pages (oidc-provider, started by global-setup.ts) → back at
// Holdfast, signed in with the role the allow-list maps and on the page the user was going to.
// An account the allow-list does not name lands on the sign-in page with a generic message and
// no session.
import { expect, test, type Page } from '@playwright/test';
import { SSO_ACCOUNTS } from './fixtures.ts';

async function signInThroughProvider(page: Page, account: keyof typeof SSO_ACCOUNTS) {
  await page.goto('/sign-in?next=%2Ftokens');
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  // oidc-provider's login page: a known account, any password (its development interactions).
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/interaction\//);
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill('any');
  await page.locator('button[type="submit"]').click();
  // Its consent page for the Holdfast client.
  await expect(page.locator('input[name="prompt"][value="consent"]')).toHaveCount(1);
  await page.locator('button[type="submit"]').click();
}

test('an allow-listed account signs in through the OpenID Provider and lands where it was going, as operator', async ({ page, context }) => {
  await signInThroughProvider(page, 'olivia');
  await expect(page.getByTestId('who')).toHaveText(SSO_ACCOUNTS.olivia.email);
  await expect(page.getByText('role: operator')).toBeVisible();
  await expect(page).toHaveURL(/\/tokens$/);
  const session = (await context.cookies()).find((c) => c.name === 'hf_session');
  expect(session?.httpOnly).toBe(true);
  // The flow cookie (state, nonce, PKCE verifier) is spent.
  expect((await context.cookies()).find((c) => c.name.startsWith('hf_oidc'))).toBeUndefined();
  await page.screenshot({ path: test.info().outputPath('sso-signed-in.png'), fullPage: true });
});

test('an account the allow-list does not name gets no session, only a generic message', async ({ page, context }) => {
  await signInThroughProvider(page, 'mallory');
  await expect(page).toHaveURL(/\/sign-in\?error=sso$/);
  await expect(page.getByRole('alert').filter({ hasText: 'Single sign-on' })).toContainText('Single sign-on did not succeed');
  expect((await context.cookies()).find((c) => c.name === 'hf_session')).toBeUndefined();
  const res = await page.request.get('/api/v1/summary');
  expect(res.status()).toBe(401);
});
