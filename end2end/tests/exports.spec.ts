import { test, expect, Page } from '@playwright/test';
import { readFileSync } from 'fs';
import { accounts, signIn, watchErrors } from './auth';

// Every export link on a page, clicked as a person would: each saves a
// file whose name carries what it is, the scope and the day, and whose
// content is of its type (CSV text with a header row, a PDF, a workbook).
async function downloadsOn(page: Page, name: RegExp): Promise<string[]> {
  const links = page.locator('a[download]');
  const count = await links.count();
  expect(count).toBeGreaterThan(0);
  const saved: string[] = [];
  for (let i = 0; i < count; i++) {
    const [download] = await Promise.all([page.waitForEvent('download'), links.nth(i).click()]);
    const file = download.suggestedFilename();
    expect(file).toMatch(name);
    const bytes = readFileSync((await download.path())!);
    if (file.endsWith('.pdf')) {
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    } else if (file.endsWith('.xlsx')) {
      expect(bytes.subarray(0, 2).toString()).toBe('PK');
    } else {
      expect(file.endsWith('.csv')).toBe(true);
      const text = bytes.toString('utf8');
      expect(text.split('\n')[0].split(',').length).toBeGreaterThan(1);
      // Nothing a spreadsheet would run.
      expect(text).not.toMatch(/(^|,)[=+@]/m);
    }
    saved.push(file);
  }
  return saved;
}

test('a commander downloads every export of their command, and the published pack again', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, accounts.commander);
  await page.goto('/units/C1?as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const exports = page.getByTestId('board-exports');
  await expect(exports.getByRole('heading', { name: 'Exports for the board' })).toBeVisible();
  const saved = await downloadsOn(page, /^uptake-[a-z-]+-C1-2026-09-30\.(csv|pdf|xlsx)$/);
  for (const file of ['board-pack', 'workbook', 'headline', 'trend', 'units', 'bands', 'band-trend', 'usage', 'cohorts']) {
    expect(saved.some((s) => s.startsWith(`uptake-${file}-C1-`)), `${file} in ${saved}`).toBe(true);
  }
  // The pack just made is listed, to download again.
  await page.reload();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const published = exports.getByTestId('published-pack');
  await expect(published).toHaveCount(1);
  await expect(published).toHaveText('Board pack: North Command as of 30 Sep 2026');
  const [again] = await Promise.all([page.waitForEvent('download'), published.click()]);
  expect(again.suggestedFilename()).toBe('uptake-board-pack-C1-2026-09-30.pdf');

  // The waves page's tables, and a person-level list (the commander holds
  // the permission for C1).
  await page.goto('/waves?as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await downloadsOn(page, /^uptake-(waves|wave-units)-[A-Z0-9]+-2026-09-30\.csv$/);
  await page.goto('/units/C1/people?product=Box&as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await downloadsOn(page, /^uptake-people-C1-2026-09-30\.csv$/);
  expect(errors).toEqual([]);
});

test('the force overview offers a commander no board exports of the force', async ({ page }) => {
  await signIn(page, accounts.commander);
  await page.goto('/?as_of=2026-09-30');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('board-exports')).toHaveCount(0);
  // Asked for anyway, the force's pack is refused.
  const reply = await page.request.get('/exports/board-pack.pdf?as_of=2026-09-30&unit=F');
  expect(reply.status()).toBe(403);
});
