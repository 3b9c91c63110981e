import { test, expect } from '@playwright/test';
import { accounts, signIn, watchErrors } from './auth';

test.beforeEach(async ({ page }) => {
  await signIn(page, accounts.admin);
});

// Hand-worked for Box on 30 Sep 2026 (the admin holds person-level lists,
// so every figure of the tiny force shows):
// - Box went live for T1 on 1 Aug and for South Command (T3) on 1 Jul. S01
//   and S02 (T1) first used it on 5 Sep, 35 days on; S15–S20 (T3) on
//   30 Sep, 91 days on. Of those 8, the middle two are 91: "87–93 days".
// - S21's use on 15 Jul fell in Box's first 28 days of data (it starts on
//   15 Jul), so S21 is reached before data start and left out.
// - Used within 30 days: 17 people eligible for 30 days or more (18 less
//   S21), none of whom used it within 30: 0.0%.
// - Depth: the 8 active in the last 28 days each used it on 1 day.
// - Retention: nobody first used Box in the pooled cohort weeks.
test('speed, depth and retention follow the hand-worked fixture', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/?usage=product:1');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const table = page.getByTestId('usage-table');
  await expect(table.locator('tbody tr').first().locator('th')).toHaveText('All ages');
  await expect(table.locator('tbody tr').first().locator('td')).toHaveText([
    '87–93 days', '0.0%', '1 day', '–', '–',
  ]);
  // 55 and over: S01 and S02, 35 days.
  await expect(table.locator('tbody tr').last().locator('td').first()).toHaveText('31–37 days');
  await expect(page.getByTestId('before-data-start')).toContainText('1 person first used it');

  // S01 and S02's cohort (w/c 31 Aug) is read four weeks on, after 30 Sep.
  const cohorts = page.getByTestId('cohort-table').locator('tbody tr');
  await expect(cohorts).toHaveCount(16);
  const aug31 = cohorts.filter({ hasText: 'w/c 31 Aug 2026' });
  await expect(aug31.locator('td')).toHaveText(['not yet observable', 'not yet observable']);

  // Switching subject keeps the page and reloads the table.
  await page.getByRole('link', { name: 'Microsoft 365' }).last().click();
  await expect(page).toHaveURL(/usage=product:2/);
  await expect(page.locator('#usage-head')).toHaveText('Speed, depth and retention: Microsoft 365');
  expect(errors, errors.join('\n')).toEqual([]);
});

test('switching subject in the age band section redraws its bars and trend without errors', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.locator('#by-age .choices a', { hasText: 'Teams' }).click();
  await expect(page).toHaveURL(/bands=tool:2/);
  await expect(page.locator('#by-age-head')).toHaveText('By age band: Teams');
  await expect(page.locator('#band-trend .scatterlayer .trace')).toHaveCount(6);
  // Each row of the table as a series of bars, one bar per band.
  const rows = await page.locator('[data-testid^="band-row-"]').count();
  expect(rows).toBeGreaterThan(1);
  await expect(page.locator('#band-bars .barlayer .trace')).toHaveCount(rows);
  expect(errors, errors.join('\n')).toEqual([]);
});
