import { defineConfig } from '@playwright/test';
import { DEBIAN_CHROMIUM } from '../e2e/support/chromium.ts';
import type { Variant } from './support/consumer-app.ts';
import { VARIANTS } from './support/variants.ts';

/**
 * The README's Quick start in a user's app on the packed package: `npx playwright test -c
 * consumer-app`. Each project is one app (store × bundler × guard file), built and started once.
 */
export default defineConfig<{ variant: Variant }>({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './support/global-setup.ts',
  outputDir: './test-results',
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
  },
  projects: VARIANTS.map((variant) => ({
    name: `${variant.store}, ${variant.bundler}, ${variant.guard}, ${variant.server}`,
    use: { variant },
    // The executors route is written into the Redis over Postgres app alone.
    testIgnore: variant.store === 'layered' ? [] : ['executors.spec.ts'],
  })),
});
