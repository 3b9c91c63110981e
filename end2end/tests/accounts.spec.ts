import { test, expect } from '@playwright/test';
import { accounts, signIn, watchErrors } from './auth';

// A new account changes who sees what, so the publication is decided again
// (docs/publication.md): this runs with the tests that change data.
test('an admin creates an account whose one-time password must be replaced at first sign-in', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.admin);
  await page.goto('/admin/accounts');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const user = `south.${Date.now()}@fixture.test`;
  await page.getByLabel('Sign-in name').fill(user);
  await page.getByLabel('Display name').fill('South Viewer');
  await page.getByLabel('Role', { exact: true }).first().selectOption('viewer');
  await page.getByLabel('Scope (unit codes)').fill('C2');
  await page.getByRole('button', { name: 'Create' }).click();
  const shown = page.getByTestId('one-time-password').locator('code');
  await expect(shown).toHaveText(/^[a-z2-9]{5}(-[a-z2-9]{5}){4}$/);
  const oneTime = (await shown.textContent()) ?? '';
  await expect(page.getByTestId(`account-${user}`)).toContainText('C2');
  await page.getByTestId('sign-out').click();

  await page.getByLabel('Sign-in name').fill(user);
  await page.getByLabel('Password').fill(oneTime);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account\/password$/);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.getByLabel('Current (or one-time) password').fill(oneTime);
  await page.getByLabel('New password', { exact: true }).fill('south-viewer-passphrase');
  await page.getByLabel('New password again').fill('south-viewer-passphrase');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByTestId('password-changed')).toBeVisible();
  await page.goto('/units/C2');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('South Command — overview');
  expect(errors, errors.join('\n')).toEqual([]);
});
