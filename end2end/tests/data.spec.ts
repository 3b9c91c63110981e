import { test, expect } from '@playwright/test';
import { accounts, signIn, watchErrors } from './auth';

// The fixture's activity was imported by end2end/run.sh through the CLI.
test('the data page shows coverage, and an upload reports its bad rows by line', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.admin);
  await page.getByRole('link', { name: 'Data health' }).click();
  await expect(page).toHaveURL(/\/data$/);
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const box = page.getByTestId('sources').locator('tr[data-source="box"]');
  await expect(box.locator('td').nth(0)).toHaveText('15 Jul 2026');
  await expect(page.getByTestId('imports')).toContainText('activity.csv');

  await page.getByLabel('Kind').selectOption('activity');
  await page.getByLabel('File', { exact: true }).setInputFiles({
    name: 'extra.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(
      'tool,user,day,actions\r\nBox,visitor@elsewhere.test,2026-09-30,2\r\nBox,s01@fixture.test,2026-13-01,1\r\nZoom,s01@fixture.test,2026-09-30,1\r\n',
    ),
  });
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page).toHaveURL(/\/data\?import=\d+$/);
  const rejects = page.getByTestId('rejects').locator('tbody tr');
  await expect(rejects).toHaveCount(2);
  await expect(rejects.nth(0).locator('td').nth(0)).toHaveText('3');
  await expect(rejects.nth(0)).toContainText('2026-13-01');
  await expect(rejects.nth(1)).toContainText('uptake tool add Zoom');
  await expect(page.getByTestId('unmatched')).toContainText('visitor@elsewhere.test');
  expect(errors).toEqual([]);
});

test('a refused upload says why', async ({ page }) => {
  await signIn(page, accounts.admin);
  await page.goto('/data');
  await page.getByLabel('Kind').selectOption('teams');
  await page.getByLabel('File', { exact: true }).setInputFiles({
    name: 'teams.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('User Principal Name,Team Chat Message Count\r\na@b.test,1\r\n'),
  });
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('upload-error')).toContainText('report day');
});

test('a unit commander has no data page', async ({ page }) => {
  await signIn(page, accounts.commander);
  await expect(page.getByRole('link', { name: 'Data health' })).toHaveCount(0);
  const reply = await page.goto('/data');
  expect(reply?.status()).toBe(403);
});
