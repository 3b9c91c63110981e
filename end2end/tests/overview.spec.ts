import { test, expect } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { accounts, signIn, watchErrors } from './auth';

const expected = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixture', 'expected.json'), 'utf8'));

test.beforeEach(async ({ page }) => {
  await signIn(page, accounts.admin);
});

test('the overview hydrates and shows the fixture force’s hand-worked figures', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('as-of')).toHaveText(expected.as_of);

  for (const [slug, figures] of Object.entries<Record<string, string>>(expected.subjects)) {
    for (const [metric, value] of Object.entries(figures)) {
      await expect(page.getByTestId(`${slug}-${metric}`).locator('.kpi-value'), `${slug} ${metric}`).toHaveText(value);
    }
  }

  // Box is a product of one tool: its figures are shown once.
  await expect(page.getByTestId('kpis-tool-1')).toHaveCount(0);

  // A line per tool, and the waves' targets as points.
  const traces = page.locator('#adoption-trend .scatterlayer .trace');
  await expect(traces).toHaveCount(expected.traces + 1);
  const table = page.locator('#adoption-trend').locator('xpath=..').locator('details table');
  await expect(table.locator('tr').filter({ hasText: 'M365 North target' })).toContainText('31 Dec 2026');
  await expect(table.locator('tr').filter({ hasText: 'M365 North target' })).toContainText('80.0%');
  await expect(page.locator('#adoption-trend svg.main-svg').first()).toBeVisible();
  // Each wave's go-live day is marked on the trend, where its rates fall
  // because more people became eligible, and listed in the chart's table.
  await expect(page.locator('#adoption-trend .annotation-text')).toHaveCount(3);
  // Each says how many the go-live made eligible, at the end of its first
  // week: M365 North's C1 had 13 in post on 7 Jun (S01–S12 and S14), Box
  // South's T3 10 on 5 Jul, and Box North response's T1 8 on 2 Aug (under
  // k = 10, shown to this admin, who holds T1's person-level lists).
  await expect(page.locator('#adoption-trend .annotation-text').first()).toHaveText('M365 North live: 13 eligible');
  const marked = page.getByTestId('chart-markers');
  await expect(marked).toContainText('M365 North live: 13 eligible on 1 Jun 2026');
  await expect(marked).toContainText('Box South live: 10 eligible on 1 Jul 2026');
  await expect(marked).toContainText('Box North response live: 8 eligible on 1 Aug 2026');

  // One line per wave, each with its status, linking to the wave.
  // (The waves test may add one for 2027.)
  const waves = page.getByTestId('wave-summary').locator('li');
  await expect(waves).toContainText(['M365 North', 'Box South', 'Box North response']);
  await expect(waves.first().locator('.badge')).toBeVisible();
  await expect(waves.first().locator('a')).toHaveAttribute('href', /^\/waves#wave-\d+$/);

  // Where to help: M365 North's C1 has 9 of 13 active in 28 days (69.2%)
  // against its 80% target, 10.8 points short, and links to its page.
  const behind = page.getByTestId('behind-C1');
  await expect(behind).toContainText('M365 North');
  await expect(behind).toContainText('69.2% against 80.0% by 31 Dec 2026');
  await expect(behind).toContainText('10.8 pts short');
  await expect(behind.locator('a')).toHaveAttribute('href', '/units/C1');
  await expect(page.getByTestId('rising-fastest').locator('h3')).toHaveText('Rising fastest in 28 days');

  // Each source's freshness in words; the fixture's data ends in September,
  // so the sources are behind, and an admin is pointed to the data page.
  const freshness = page.getByTestId('freshness');
  await expect(freshness).toContainText(/Box \(enterprise events\): \d+ days behind\./);
  await expect(page.getByTestId('freshness-data-link')).toHaveAttribute('href', '/data');

  expect(errors, errors.join('\n')).toEqual([]);
});

test('an as-of day in the URL gives that day’s figures', async ({ page }) => {
  await page.goto('/?as_of=2026-09-12');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('as-of')).toHaveText('12 Sep 2026');
  // On 12 Sep S14 is still in post and S13 has not started: Microsoft 365 has
  // 13 eligible (S01–S12, S14), and S14's Exchange use on 10 Sep is the only
  // Exchange use in the window: one person, which reads as the band 0 to 2.
  await expect(page.getByTestId('product-2-eligible').locator('.kpi-value')).toHaveText('13');
  await expect(page.getByTestId('tool-5-active28').locator('.kpi-value')).toHaveText('0–2');
});

test('a unit’s page sets its figures against the force and its wave’s target', async ({ page }) => {
  await page.goto('/units/C1');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  // C1 holds all 13 of Microsoft 365's eligible staff (69.2% active in 28
  // days), so the force's rate is its own; M365 North aims for 80%.
  await expect(page.getByTestId('product-2-versus')).toHaveText(
    'Force: 69.2%. M365 North: target 80.0% adoption rate by 31 Dec 2026, 10.8 pts short.',
  );
  // Box: C1 is in no Box wave (its team T1 is), so only the force is shown.
  await expect(page.getByTestId('product-1-versus')).toHaveText('Force: 44.4%.');
  // Only C1's own wave is marked on its trend.
  await expect(page.locator('#adoption-trend .annotation-text')).toHaveCount(1);
  await expect(page.getByTestId('chart-markers').first()).toHaveText('Marked: M365 North live: 13 eligible on 1 Jun 2026.');
  // The force's wave summary and where-to-help lists stay on the force's page.
  await expect(page.getByTestId('where-to-help')).toHaveCount(0);
});

test('a unit’s curve since go-live sits beside the force’s median unit, with its target', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/units/C1');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const section = page.getByTestId('since-go-live');
  // M365 North went live on 1 Jun 2026: 30 Sep is day 121, its target day
  // (31 Dec) day 213. The fixture has three wave units, under the five a
  // median needs, so the median line has no point and draws nothing: the
  // unit's line and the target are drawn.
  const chart = section.locator('figure').first();
  await expect(chart.locator('.scatterlayer .trace')).toHaveCount(2);
  const rows = chart.locator('details table tbody tr');
  await expect(rows.filter({ hasText: 'North Command' })).toContainText('day 121');
  await expect(rows.filter({ hasText: 'North Command' })).toContainText('69.2%');
  await expect(rows.filter({ hasText: 'Median unit of Microsoft 365' })).toContainText('–');
  await expect(rows.filter({ hasText: 'M365 North target' })).toContainText('day 213');
  await expect(rows.filter({ hasText: 'M365 North target' })).toContainText('80.0%');
  await expect(section.locator('[data-testid^="since-go-live-"][data-testid$="-status"]')).toContainText(
    'M365 North: target 80.0% adoption rate by 31 Dec 2026.',
  );
  await expect(chart.getByTestId('chart-caption')).toContainText('median');
  // A team in no wave of its own says so, and where waves are made.
  await page.goto('/units/T2');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByTestId('no-wave')).toContainText('not itself a member of a rollout wave');
  expect(errors, errors.join('\n')).toEqual([]);
});

test('time charts switch between the rate and the number active, kept in the URL', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const trend = page.locator('#adoption-trend').locator('xpath=..');
  await expect(trend.locator('details summary')).toHaveText('Table: Adoption rate by tool');
  await page.getByTestId('measure-active').first().click();
  await expect(page).toHaveURL(/[?&]trend=active/);
  await expect(trend.locator('details summary')).toHaveText('Table: Staff active by tool');
  // Teams on 30 Sep: 5 active in 28 days (S01–S04, S13).
  await expect(trend.locator('details table tr').filter({ hasText: 'Teams' })).toContainText('5');
  await expect(page.locator('#adoption-trend .scatterlayer .trace')).toHaveCount(5);
  await expect(page.locator('#adoption-trend .annotation-text')).toHaveCount(3);
  // A reload gives the same view; back gives the rate again.
  await page.reload();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(trend.locator('details summary')).toHaveText('Table: Staff active by tool');
  await expect(page.getByTestId('measure-active').first()).toHaveAttribute('aria-current', 'page');
  await page.goBack();
  await expect(page).not.toHaveURL(/trend=active/);
  await expect(trend.locator('details summary')).toHaveText('Table: Adoption rate by tool');
  expect(errors, errors.join('\n')).toEqual([]);
});

test('printing a page leaves out the navigation and the switches, and keeps the figures and charts', async ({ page }) => {
  await page.goto('/units/C1');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('header.topbar')).toBeHidden();
  await expect(page.getByTestId('measure-active').first()).toBeHidden();
  await expect(page.getByTestId('product-2-rate')).toBeVisible();
  await expect(page.locator('#adoption-trend svg.main-svg').first()).toBeVisible();
});
