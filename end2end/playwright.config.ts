import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  retries: 0,
  reporter: [['list']],
  // Uploading activity, adding an account and adding or changing waves
  // move what every page reads (the publication is decided again in the
  // background, after a rollup rebuild for waves; until then a trend leaves
  // those points out), so those tests run once the pages have been read.
  projects: [
    { name: 'views', testIgnore: /(waves|data|accounts)\.spec\.ts/ },
    { name: 'changes', testMatch: /(waves|data|accounts)\.spec\.ts/, dependencies: ['views'] },
  ],
  use: {
    baseURL: process.env.UPTAKE_BASE_URL ?? 'http://127.0.0.1:3000',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
