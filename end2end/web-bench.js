// Page weight and speed in Chromium, for `scripts/bench.sh web`: for each
// page, a first visit (an empty cache, signed in through the sign-in form's
// own POST so that no page has loaded anything yet) and a repeat visit (the
// same browser again), each its transfer over the wire (bodies and headers,
// as Chromium counts them) and its time to a hydrated page; then the
// server's render time of the page alone. Medians over RUNS runs.
// Usage: node web-bench.js BASE_URL USER PASSWORD [PATH...]
const { chromium } = require('@playwright/test');

const [base, user, password, ...given] = process.argv.slice(2);
const paths = given.length ? given : ['/', '/units', '/units/C01', '/age-groups', '/waves'];
const RUNS = 5;
const RENDERS = 15;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function signedIn(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const r = await ctx.request.post(`${base}/auth/sign-in`, {
    form: { username: user, password },
    headers: { Origin: base },
    maxRedirects: 0,
  });
  if (r.status() >= 400) throw new Error(`sign-in refused: ${r.status()}`);
  return ctx;
}

// One page view: bytes over the wire and milliseconds to hydration.
async function visit(page, cdp, path) {
  let bytes = 0;
  const done = (e) => { bytes += e.encodedDataLength; };
  cdp.on('Network.loadingFinished', done);
  const start = Date.now();
  await page.goto(base + path);
  await page.waitForSelector('[data-hydrated="true"]', { timeout: 60000 });
  const ms = Date.now() - start;
  await page.waitForLoadState('networkidle');
  cdp.off('Network.loadingFinished', done);
  return { bytes, ms };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.UPTAKE_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox'],
  });
  console.log('page                 first KB  first ms  repeat KB  repeat ms  render p50 ms');
  for (const path of paths) {
    const first = [];
    const repeat = [];
    for (let i = 0; i < RUNS; i++) {
      const ctx = await signedIn(browser);
      const page = await ctx.newPage();
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Network.enable');
      first.push(await visit(page, cdp, path));
      repeat.push(await visit(page, cdp, path));
      await ctx.close();
    }
    const ctx = await signedIn(browser);
    const renders = [];
    for (let i = 0; i <= RENDERS; i++) {
      const start = Date.now();
      const r = await ctx.request.get(base + path);
      await r.body();
      if (i > 0) renders.push(Date.now() - start);
    }
    await ctx.close();
    const kb = (xs) => (median(xs.map((x) => x.bytes)) / 1024).toFixed(0);
    const ms = (xs) => median(xs.map((x) => x.ms)).toFixed(0);
    console.log(
      `${path.padEnd(20)} ${kb(first).padStart(8)}  ${ms(first).padStart(8)}  ${kb(repeat).padStart(9)}  ${ms(repeat).padStart(9)}  ${String(median(renders)).padStart(13)}`,
    );
  }
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
