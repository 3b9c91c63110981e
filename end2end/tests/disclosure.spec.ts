import { test, expect } from '@playwright/test';
import { accounts, signIn, watchErrors } from './auth';

test('small figures read [c] on tiles, unit tables and age bands', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.commander);

  // The force, shown for comparison: nobody used OneDrive, and 0% would
  // reveal everyone, so its tiles are hidden, with the reason beside them.
  await page.goto('/?as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const oneDrive = page.getByTestId('tool-3-suppressed');
  await expect(oneDrive.locator('.kpi-value')).toHaveText('[c]');
  await expect(oneDrive.locator('.kpi-note')).toContainText('Hidden to protect individuals');
  await expect(page.getByTestId('all-eligible').locator('.kpi-value')).toHaveText('23');

  // Their own command, whose person-level lists they hold: its own figures
  // show whatever their size; the small teams under it do not.
  await page.goto('/units/C1?as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('product-2-eligible').locator('.kpi-value')).toHaveText('13');
  await expect(page.getByTestId('unit-T1').locator('td').first()).toHaveText('[c]');
  const bands = page.getByTestId('band-table');
  await expect(bands).toBeVisible();
  await expect(page.getByTestId('band-row-C1').locator('td').last()).not.toHaveText('[c]');
  await expect(page.getByTestId('band-row-T1').locator('td.suppressed').first()).toHaveText('[c]');
  // A heatmap: a published rate is coloured by its step of the scale; a
  // hidden cell is hatched, never coloured.
  await expect(page.getByTestId('band-row-C1').locator('td').last()).toHaveClass(/\bheat-[0-4]\b/);
  await expect(page.getByTestId('band-row-T1').locator('td.suppressed').first()).not.toHaveClass(/heat-/);
  await expect(page.getByTestId('heat-legend').locator('li')).toHaveText(
    ['0–20%', '20–40%', '40–60%', '60–80%', '80–100%', '[c] hidden'],
  );

  expect(errors, errors.join('\n')).toEqual([]);
});
