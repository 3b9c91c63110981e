import { Page, expect } from '@playwright/test';

export const accounts = {
  admin: { user: 'admin@fixture.test', password: process.env.UPTAKE_E2E_ADMIN_PASSWORD ?? '' },
  commander: { user: 'north@fixture.test', password: process.env.UPTAKE_E2E_COMMANDER_PASSWORD ?? '' },
  viewer: { user: 'north.viewer@fixture.test', password: process.env.UPTAKE_E2E_VIEWER_PASSWORD ?? '' },
};

/// Signs in through the form, as a person would, and waits for the landing page.
export async function signIn(page: Page, who: { user: string; password: string }) {
  await page.goto('/login');
  await page.getByLabel('Sign-in name').fill(who.user);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
}

/// Collects console errors and page errors, to assert none happened.
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}
