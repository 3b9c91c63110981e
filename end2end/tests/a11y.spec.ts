import { test, expect } from '@playwright/test';
import * as fs from 'fs';
import { accounts, signIn } from './auth';

// axe-core is injected as a script, which the app's CSP rightly refuses.
test.use({ bypassCSP: true });

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// (path, whether it draws charts: axe runs once they are drawn). One
// sign-in walks them all: sign-ins from one address are limited.
const pages: [string, boolean][] = [
  ['/', true],
  ['/units', true],
  ['/age-groups', true],
  ['/units/C1', true],
  ['/waves', true],
  ['/data', false],
  ['/admin/accounts', false],
  ['/admin/audit', false],
];

test('no page has a serious or critical accessibility violation, or overflows 768 px sideways', async ({ page }) => {
  await signIn(page, accounts.admin);
  for (const [path, charts] of pages) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(path);
    await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
    if (charts) {
      await expect(page.locator('.js-plotly-plot').first()).toBeVisible();
    }
    await page.addScriptTag({ content: axeSource });
    const violations = await page.evaluate(async () => {
      const result = await (window as any).axe.run(document);
      return result.violations
        .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
        .map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations, path).toEqual([]);
    // Narrowed: the charts follow the window, and nothing is wider.
    await page.setViewportSize({ width: 768, height: 1000 });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), {
        message: `${path} at 768 px`,
      })
      .toBeLessThanOrEqual(0);
  }
});
