import { expect, type Page } from '@playwright/test';

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

export async function signIn(page: Page, who: keyof typeof USERS, next = '/') {
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(USERS[who].email);
  await page.getByLabel('Password').fill(USERS[who].password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toHaveText(USERS[who].email);
}
