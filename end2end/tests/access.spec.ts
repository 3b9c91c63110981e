import { test, expect } from '@playwright/test';
import { accounts, signIn, watchErrors } from './auth';

test('anyone signed out is sent to the sign-in page', async ({ page }) => {
  await page.goto('/units/C1');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Sign in to Uptake' })).toBeVisible();
});

test('a wrong password is refused in plain words', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Sign-in name').fill(accounts.commander.user);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('sign-in-error')).toHaveText('That name and password do not match an active account.');
});

test('a commander sees their command, the force for comparison, nothing else, and signs out', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.commander);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toContainText('North Commander');
  // The force, for comparison only: no drill-down into other units.
  await expect(page.getByTestId('comparison-only')).toBeVisible();
  await expect(page.locator('table.units')).toHaveCount(0);

  // Their own command, with its teams, whose person-level lists they hold:
  // so they see its figures, small as the teams are.
  await page.getByTestId('my-unit').filter({ hasText: 'C1' }).click();
  await expect(page).toHaveURL(/\/units\/C1/);
  await expect(page.locator('[data-unit="C1"][data-hydrated="true"]')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('North Command — overview');
  await expect(page.getByTestId('unit-T1')).toBeVisible();
  await expect(page.getByTestId('unit-T2')).toBeVisible();
  await expect(page.getByTestId('unit-T3')).toHaveCount(0);
  await expect(page.getByTestId('unit-T1').locator('td').first()).not.toHaveText('[c]');
  expect(errors, errors.join('\n')).toEqual([]);

  // Another command is refused by the server.
  const refused = await page.goto('/units/C2');
  expect(refused?.status()).toBe(403);
  await expect(page.getByRole('alert')).toHaveText('this unit is outside your scope');

  await page.goto('/units/C1');
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/units/C1');
  await expect(page).toHaveURL(/\/login$/);
});

test('the waves page shows each wave against its target, scoped to the viewer', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.admin);
  await page.goto('/waves');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  // The fixture's three waves (the waves test may add one for 2027).
  await expect(page.locator('section.wave h2')).toContainText(['M365 North', 'Box South', 'Box North response']);
  await expect(page.locator('section.wave').first().locator('.badge').first()).toBeVisible();
  // The waves side by side on days since go-live: one line per wave total.
  await expect(page.locator('#waves-since-go-live .scatterlayer .trace')).toHaveCount(
    await page.locator('.wave-total').count(),
  );
  expect(errors, errors.join('\n')).toEqual([]);

  // A commander of North Command sees only the waves and units in it.
  await page.getByTestId('sign-out').click();
  await signIn(page, accounts.commander);
  await page.goto('/waves');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.locator('section.wave')).toHaveCount(2);
  await expect(page.getByTestId('wave-unit-C2')).toHaveCount(0);
  await expect(page.locator('.wave-total')).toHaveCount(0);
  // Without wave totals, the chart has a line per unit of theirs in a wave.
  await expect(page.locator('#waves-since-go-live .scatterlayer .trace')).toHaveCount(
    await page.locator('section.wave [data-testid^="wave-unit-"]').count(),
  );
});

test('an admin changes a wave’s target on the waves page; a commander cannot', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.admin);
  await page.goto('/waves');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const card = page.locator('section.wave').last();
  await card.getByText('Change the target').click();
  await card.getByLabel('Target (%)').fill('88');
  await card.getByRole('button', { name: 'Save' }).click();
  await expect(card.locator('p.note').first()).toContainText(/target 88(\.0)?%/);
  // Out of range: the browser's own check stops it before it is sent.
  await card.getByLabel('Target (%)').fill('120');
  await card.getByRole('button', { name: 'Save' }).click();
  expect(await card.getByLabel('Target (%)').evaluate((e: HTMLInputElement) => e.validity.valid)).toBe(false);
  await page.goto('/admin/audit');
  await expect(page.getByText('wave_target_set').first()).toBeVisible();
  expect(errors, errors.join('\n')).toEqual([]);

  await page.getByTestId('sign-out').click();
  await signIn(page, accounts.commander);
  await page.goto('/waves');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.locator('details.edit-target')).toHaveCount(0);
});
