const { chromium } = require('@playwright/test');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
  const base = 'http://127.0.0.1:3920';
  for (const [who, user, pass, path] of [
    ['admin', 'shot@uptake.test', 'look-at-waves-2026', '/units/C01'],
    ['cmd', 'cmd@uptake.test', 'look-at-waves-2026', '/units/C01'],
  ]) {
    for (const width of [1366, 768]) {
      const ctx = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
      const page = await ctx.newPage();
      await page.goto(base + '/login');
      await page.getByLabel('Sign-in name').fill(user);
      await page.getByLabel('Password').fill(pass);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/$/);
      await page.goto(base + path);
      await page.locator('[data-hydrated="true"]').waitFor();
      await page.waitForTimeout(1500);
      const ex = page.getByTestId('board-exports');
      await ex.scrollIntoViewIfNeeded();
      await ex.screenshot({ path: `/tmp/shot-${who}-${width}-exports.png` });
      await page.locator('section:has(#units-under)').screenshot({ path: `/tmp/shot-${who}-${width}-units.png` }).catch(() => {});
      await page.addScriptTag({ path: require.resolve('axe-core') });
      const result = await page.evaluate(async () => await axe.run());
      const bad = result.violations.filter(v => ['serious', 'critical'].includes(v.impact));
      console.log(who, width, 'axe serious/critical:', bad.map(v => v.id + ':' + v.nodes.length));
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      console.log(who, width, 'overflow', overflow);
      await ctx.close();
    }
  }
  await browser.close();
})();
