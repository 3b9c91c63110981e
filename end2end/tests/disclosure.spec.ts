import { test, expect } from '@playwright/test';
import { accounts, signIn, watchErrors } from './auth';

test('small figures read [c], and counts near nobody read as a band, on tiles, unit tables and age bands', async ({ page }) => {
  const errors = watchErrors(page);
  // A viewer of North Command without person-level lists sees only what
  // the publication decision publishes.
  await signIn(page, accounts.viewer);

  // The force, shown for comparison: a 23-strong force of two small
  // commands, whose figures would give away one command's from the other's.
  await page.goto('/?as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const all = page.getByTestId('all-suppressed');
  await expect(all.locator('.kpi-value')).toHaveText('[c]');
  await expect(all.locator('.kpi-note')).toContainText('Hidden to protect individuals');
  // Nobody has used OneDrive: shown as the band 0 to 2, never as 0.
  await expect(page.getByTestId('tool-3-active28').locator('.kpi-value')).toHaveText('0–2');
  await expect(page.getByTestId('tool-3-rate').locator('.kpi-value')).toHaveText('0.0–15.4%');

  // Their own command: its teams are small, so hidden, with the command.
  await page.goto('/units/C1?as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('product-2-suppressed').locator('.kpi-value')).toHaveText('[c]');
  await expect(page.getByTestId('unit-T1').locator('td').first()).toHaveText('[c]');
  const bands = page.getByTestId('band-table');
  await expect(bands).toBeVisible();
  // A hidden cell is hatched, never a colour of the scale.
  await expect(page.getByTestId('band-row-T1').locator('td.suppressed').first()).toHaveText('[c]');
  await expect(page.getByTestId('band-row-T1').locator('td.suppressed').first()).not.toHaveClass(/heat-/);
  await expect(page.getByTestId('heat-legend').locator('li')).toHaveText(
    ['0–20%', '20–40%', '40–60%', '60–80%', '80–100%', '[c] hidden'],
  );
  expect(errors, errors.join('\n')).toEqual([]);
});

test('a holder of a command’s person-level lists sees its figures whatever their size', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.commander);
  await page.goto('/units/C1?as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('product-2-eligible').locator('.kpi-value')).toHaveText('13');
  await expect(page.getByTestId('unit-T1').locator('td').first()).not.toHaveText('[c]');
  // A heatmap: a published rate is coloured by its step of the scale.
  await expect(page.getByTestId('band-row-C1').locator('td').last()).toHaveClass(/\bheat-[0-4]\b/);
  expect(errors, errors.join('\n')).toEqual([]);
});
