import { test, expect } from '@playwright/test';
import { accounts, signIn, watchErrors } from './auth';

// Adding a wave in the browser: each rule is refused in words, and a wave
// that keeps them is made, listed and audited. The wave made goes live in
// 2027, after the fixture's data, so no figure another test reads moves.
test('an admin adds a wave on the waves page; each rule is refused in words', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.admin);
  await page.goto('/waves');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const form = page.getByTestId('new-wave');
  await form.getByText('Add a wave').click();
  const fill = async (name: string, product: string, goLive: string, target: string, by: string, units: string) => {
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Product').selectOption({ label: product });
    await form.getByLabel('Go-live').fill(goLive);
    await form.getByLabel('Target (%)').fill(target);
    await form.getByLabel('By').fill(by);
    await form.getByLabel('Units (codes, comma-separated)').fill(units);
    await form.getByRole('button', { name: 'Add the wave' }).click();
  };
  // South Command is in the Box wave "Box South" already.
  await fill('Box again', 'Box', '2027-01-04', '70', '2027-06-30', 'C2');
  await expect(form.getByRole('alert')).toContainText('a unit is in one wave of a product at most: C2');
  // A target date before go-live.
  await fill('Too early', 'Microsoft 365', '2027-01-04', '70', '2026-12-01', 'C2');
  await expect(form.getByRole('alert')).toContainText('target date must not be before its go-live');
  // An unknown unit.
  await fill('Nowhere', 'Microsoft 365', '2027-01-04', '70', '2027-06-30', 'C9');
  await expect(form.getByRole('alert')).toContainText("no unit has code 'C9'");
  // Over 100%: the browser's own check stops it before it is sent.
  await form.getByLabel('Target (%)').fill('120');
  await form.getByRole('button', { name: 'Add the wave' }).click();
  expect(await form.getByLabel('Target (%)').evaluate((e: HTMLInputElement) => e.validity.valid)).toBe(false);

  // A wave that keeps every rule is made and listed at once.
  await fill('M365 South', 'Microsoft 365', '2027-01-04', '80', '2027-06-30', 'C2');
  await expect(form.getByTestId('wave-created')).toContainText('added');
  await expect(page.locator('section.wave h2').filter({ hasText: 'M365 South' })).toBeVisible();

  // Its go-live and units change on its card, under the same rules: C1 is
  // in M365 North already.
  const card = page.locator('section.wave').filter({ has: page.locator('h2', { hasText: 'M365 South' }) });
  const change = card.locator('[data-testid$="-change"]');
  await change.getByText('Change the go-live or units').click();
  await change.getByLabel('Units (codes, comma-separated)').fill('C2, C1');
  await change.getByRole('button', { name: 'Save' }).click();
  await expect(change.getByRole('alert')).toContainText("a unit is in one wave of a product at most: C1 (in 'M365 North')");
  await change.getByLabel('Go-live').fill('2027-02-01');
  await change.getByLabel('Units (codes, comma-separated)').fill('C2');
  await change.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('wave-changed')).toContainText('Wave saved');
  await expect(card.locator('p.note').first()).toContainText('live from 1 Feb 2027');
  await page.goto('/admin/audit');
  await expect(page.getByText('wave_created').first()).toBeVisible();
  await expect(page.getByText('wave_edited').first()).toBeVisible();
  expect(errors.filter((e) => !e.includes('status of 400')), errors.join('\n')).toEqual([]);

  // A commander may not add waves.
  await page.getByTestId('sign-out').click();
  await signIn(page, accounts.commander);
  await page.goto('/waves');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('new-wave')).toHaveCount(0);
});
