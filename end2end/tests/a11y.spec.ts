import { test, expect } from '@playwright/test';
import * as fs from 'fs';
import { accounts, signIn } from './auth';

// axe-core is injected as a script, which the app's CSP rightly refuses.
test.use({ bypassCSP: true });

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

for (const path of ['/', '/units/C1', '/waves']) {
  test(`${path} has no serious or critical accessibility violations once its charts are drawn`, async ({ page }) => {
    await signIn(page, accounts.admin);
    await page.goto(path);
    await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
    await expect(page.locator('.js-plotly-plot').first()).toBeVisible();
    await page.addScriptTag({ content: axeSource });
    const violations = await page.evaluate(async () => {
      const result = await (window as any).axe.run(document);
      return result.violations
        .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
        .map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations).toEqual([]);
  });
}
