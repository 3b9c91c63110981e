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
  // The overview still says how fresh each source is, without the link.
  await expect(page.getByTestId('freshness')).toContainText('Box (enterprise events):');
  await expect(page.getByTestId('freshness-data-link')).toHaveCount(0);
  const reply = await page.goto('/data');
  expect(reply?.status()).toBe(403);
});

test('a licence report shows on the data page and in who has not started', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.admin);
  await page.goto('/data');
  await expect(page.getByTestId('licences-none')).toBeVisible();
  const header =
    'Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Has Exchange License,Has OneDrive License,' +
    'Has SharePoint License,Has Skype For Business License,Has Yammer License,Has Teams License,Exchange Last Activity Date,' +
    'OneDrive Last Activity Date,SharePoint Last Activity Date,Skype For Business Last Activity Date,Yammer Last Activity Date,' +
    'Teams Last Activity Date,Exchange License Assign Date,OneDrive License Assign Date,SharePoint License Assign Date,' +
    'Skype For Business License Assign Date,Yammer License Assign Date,Teams License Assign Date,Assigned Products';
  const row = (user: string, teams: string, seen: string) =>
    `2026-09-30,${user},${user},False,,True,True,True,False,False,${teams},${seen},,,,,,2026-01-01,2026-01-01,2026-01-01,,,,E3`;
  await page.getByLabel('Kind').selectOption('m365-licences');
  await page.getByLabel('File', { exact: true }).setInputFiles({
    name: 'active-users.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(
      [header, row('s01@fixture.police.uk', 'True', ''), row('s02@fixture.police.uk', 'False', '2026-09-29')].join('\r\n') + '\r\n',
    ),
  });
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page).toHaveURL(/\/data(\?.*)?$/);
  const teams = page.getByTestId('licences').locator('tr[data-tool="Teams"] td');
  await expect(teams.nth(0)).toHaveText('1');
  const exchange = page.getByTestId('licences').locator('tr[data-tool="Exchange"] td');
  await expect(exchange.nth(0)).toHaveText('2');

  await page.goto('/units/C1/people?product=Microsoft%20365');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const people = page.getByTestId('people');
  await expect(people.locator('thead')).toContainText('Licensed for');
  await expect(people.locator('td', { hasText: 'None' }).first()).toBeVisible();
  expect(errors).toEqual([]);
});
