import { test, expect } from '@playwright/test';
import { accounts, signIn, watchErrors } from './auth';

// The age groups view against the fixture force (fixture/README.md), as
// the commander of North Command, who holds its person-level lists. Ages
// are those reached in 2026: T1 (S01–S08) and S09–S11 are 55 and over,
// S12 and S13 45–54. Microsoft 365 on 30 Sep 2026: 55 and over, 11
// eligible, 7 active (S01–S04 on Teams, S09–S11 on Exchange), 63.6%;
// 45–54, S12 and S13 both active: a count within 3 of eligible, so shown
// as a range and not compared.
test('age groups show a unit by band beside the force, its units, and how its people use the tools', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.commander);
  await page.goto('/age-groups?subject=product:2&as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  // A commander starts at their own command.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Age groups — North Command: Microsoft 365');
  const own = page.getByTestId('band-row-C1');
  await expect(own.locator('td')).toHaveText(['none', 'none', 'none', /–/, '63.6%', '69.2%']);
  await expect(page.getByTestId('age-pattern')).toHaveText('Too few age bands are published to compare.');
  // The unit beside the force: two series of bars.
  await expect(page.locator('#versus-force.js-plotly-plot')).toBeVisible();
  await expect.poll(() => page.evaluate(() =>
    (document.querySelector('#versus-force.js-plotly-plot') as any)?.data?.length)).toBe(2);
  // By days since its go-live (M365 North, 1 Jun 2026): 30 Sep is day 121,
  // and all ages stand at 69.2% there, as in the table.
  const since = page.locator('#bands-since-go-live').locator('xpath=..');
  await expect(since.locator('details summary')).toContainText('North Command: adoption rate by age band since go-live');
  await expect(since.locator('details table tr').filter({ hasText: 'All ages' })).toContainText(['day 121']);
  await expect(since.locator('details table tr').filter({ hasText: 'All ages' })).toContainText('69.2%');
  // A line per band and one for all ages.
  await expect(page.locator('#bands-since-go-live .scatterlayer .trace')).toHaveCount(6);
  // Speed, depth and retention by band, for the same product.
  await expect(page.getByRole('heading', { name: 'Speed, depth and retention: Microsoft 365' })).toBeVisible();

  // One of its teams, from the list of units under it; the URL keeps it.
  await page.getByTestId('unit-choices').getByRole('link', { name: 'North Response Team' }).click();
  await expect(page).toHaveURL(/unit=T1/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Age groups — North Response Team: Microsoft 365');
  await expect(page.getByTestId('band-row-T1').locator('td').nth(4)).toHaveText('50.0%');
  expect(errors, errors.join('\n')).toEqual([]);

  // A command outside their scope is refused.
  await page.goto('/age-groups?unit=C2&subject=product:1&as_of=2026-09-30');
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByTestId('band-table')).toHaveCount(0);
});
