import { defineConfig } from '@playwright/test';
import { DEBIAN_CHROMIUM } from './support/chromium.ts';
import type { StoreOptions } from './support/fixtures.ts';

/**
 * End-to-end tests of the example app: `npx playwright test -c e2e`. The app is built once
 * (global setup), then each project runs every spec against its own `next start` server.
 */
export default defineConfig<object, StoreOptions>({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './support/global-setup.ts',
  outputDir: './test-results',
  // One worker: the projects run one after the other, each with one server, and the
  // two-tab test is not competing with another browser for the two cores.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    ...DEBIAN_CHROMIUM,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'embedded', use: { storeMode: 'embedded' } },
    // Surviving a restart is a property of the embedded PGlite default, so only it runs that spec.
    {
      name: 'redis-postgres',
      use: { storeMode: 'redis-postgres' },
      testIgnore: 'restart.spec.ts',
    },
  ],
});
