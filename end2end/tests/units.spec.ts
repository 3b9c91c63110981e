import { test, expect } from '@playwright/test';
import { accounts, signIn, watchErrors } from './auth';

// The units view against the fixture force (fixture/README.md), as the
// admin, who holds person-level lists and so sees the tiny force's
// figures whole. Microsoft 365 on 30 Sep 2026: the force and C1 13
// eligible, 9 active (69.2%), 10 reached (76.9%); T1 8 eligible, S01–S04
// active (50.0%), with S08 reached 5 (62.5%); T2 S09–S13 (S14 has left),
// all five active and reached (100.0%); C2 not live. The wave "M365
// North" (C1) aims at 80% by 31 Dec 2026.
test('the unit tree opens level by level, sorts, keeps its state in the URL, and shows the age heatmap', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.admin);
  await page.goto('/units?subject=product:2&as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Units — Microsoft 365');

  // The force, with its commands listed.
  await expect(page.getByTestId('tree-F').locator('td').nth(2)).toHaveText('69.2%');
  await expect(page.getByTestId('tree-C1').locator('td')).toHaveText(
    ['13', '9', '69.2%', '76.9%', '10.8 pts short', /./, ''],
  );
  await expect(page.getByTestId('tree-C2').locator('td').nth(1)).toHaveText('not live');
  await expect(page.getByTestId('tree-T1')).toHaveCount(0);

  // Open North Command: its teams appear, the URL says so, and a reload
  // keeps them.
  await page.getByTestId('toggle-C1').click();
  await expect(page).toHaveURL(/open=C1/);
  await expect(page.getByTestId('toggle-C1')).toHaveAttribute('aria-expanded', 'true');
  const t1 = page.getByTestId('tree-T1');
  await expect(t1.locator('td').nth(0)).toHaveText('8');
  await expect(t1.locator('td').nth(2)).toHaveText('50.0%');
  await expect(t1.locator('td').nth(3)).toHaveText('62.5%');
  await expect(t1.locator('td').nth(4)).toHaveText('30.0 pts short');
  // Everyone active is never told apart from two other values, even to
  // one who may list the team's people.
  await expect(page.getByTestId('tree-T2').locator('td').nth(2)).toHaveText('60.0–100.0%');
  await expect(page.getByTestId('tree-T2').locator('td').nth(4)).toHaveText('at target');
  // A sparkline says in words what it draws.
  await expect(t1.locator('svg.spark')).toHaveAttribute('aria-label', /Adoption .* on 30 Sep 2026/);
  await page.reload();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('tree-T1')).toBeVisible();

  // Sort by adoption rate: highest first, then lowest first on a second
  // click; the teams sort under their command, a unit not live last.
  const order = async () =>
    (await page.locator('[data-testid^="tree-"]').evaluateAll((rows) =>
      rows.map((r) => r.getAttribute('data-testid')))) as string[];
  await page.getByTestId('sort-rate').click();
  await expect(page).toHaveURL(/sort=rate&dir=desc/);
  await expect(page.locator('th[aria-sort="descending"]')).toContainText('Adoption rate');
  await expect.poll(order).toEqual(['tree-F', 'tree-C1', 'tree-T2', 'tree-T1', 'tree-C2']);
  await page.getByTestId('sort-rate').click();
  await expect(page).toHaveURL(/sort=rate&dir=asc/);
  await expect.poll(order).toEqual(['tree-F', 'tree-C1', 'tree-T1', 'tree-T2', 'tree-C2']);

  // The heatmap: the force's commands by age band, then North Command's
  // teams, for the same product.
  await expect(page.getByRole('heading', { name: 'By age band: Microsoft 365' })).toBeVisible();
  await expect(page.getByTestId('band-row-C2')).toBeVisible();
  await page.getByTestId('heat-C1').click();
  await expect(page).toHaveURL(/heat=C1/);
  await expect(page.getByTestId('band-row-T1')).toBeVisible();
  await expect(page.getByTestId('band-row-C1').locator('td').last()).toHaveText('69.2%');

  // Another subject, keeping what is open.
  await page.getByTestId('subject-choices').getByRole('link', { name: 'Teams' }).click();
  await expect(page).toHaveURL(/subject=tool:2/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Units — Teams');
  await expect(page.getByTestId('tree-T1').locator('td').nth(1)).toHaveText('4');
  // Targets are set per product.
  await expect(page.getByTestId('tree-T1').locator('td').nth(4)).toHaveText('–');
  expect(errors, errors.join('\n')).toEqual([]);
});

test('a viewer sees their own tree with what is published, and a unit outside their scope is refused', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.viewer);
  // North Command's tree only: its teams are small, so hidden.
  await page.goto('/units?subject=product:2&as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('tree-C1')).toBeVisible();
  await expect(page.getByTestId('tree-F')).toHaveCount(0);
  await expect(page.getByTestId('tree-C2')).toHaveCount(0);
  await expect(page.getByTestId('tree-T1').locator('td.suppressed').first()).toHaveText('[c]');
  await expect(page.getByTestId('band-row-T1').locator('td.suppressed').first()).toHaveText('[c]');
  expect(errors, errors.join('\n')).toEqual([]);

  // South Command's units by age: refused, as its own page is.
  await page.goto('/units?subject=product:2&as_of=2026-09-30&heat=C2');
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByTestId('band-row-T3')).toHaveCount(0);
});
