/**
 * One built and running consumer app per worker, for the worker's project (its variant);
 * `baseURL` points at it, so specs use paths.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test as base } from '@playwright/test';
import {
  type AppProcess,
  build,
  installApp,
  start,
  type Variant,
  writeVariant,
} from './consumer-app.ts';

interface WorkerFixtures {
  variant: Variant;
  /** The app, running; `buildOutput` is what `next build` printed (nothing under `next dev`). */
  app: AppProcess & { buildOutput: string };
}

export const test = base.extend<object, WorkerFixtures>({
  variant: [
    { store: 'memory', bundler: 'turbopack', guard: 'proxy.ts', server: 'next start' },
    { option: true, scope: 'worker' },
  ],

  app: [
    async ({ variant }, use, workerInfo) => {
      const tarball = process.env.RUTS_CONSUMER_TARBALL;
      if (!tarball) throw new Error('RUTS_CONSUMER_TARBALL is unset: run with -c consumer-app');
      const dir = await installApp(variant.store, tarball);
      writeVariant(dir, variant);
      const buildOutput = await build(dir, variant);
      const running = await start(dir, variant);
      // The development server compiles a route on its first request: not on a test's clock.
      if (variant.server === 'next dev') {
        for (const route of ['/login', '/account', '/api/cart', '/api/owners']) {
          await fetch(running.url + route);
        }
      }
      try {
        await use({ ...running, buildOutput });
      } finally {
        await running.stop();
        // What the build and the server printed, to read when a test fails.
        const log = path.join(workerInfo.project.outputDir, `${workerInfo.project.name}.log`);
        mkdirSync(path.dirname(log), { recursive: true });
        writeFileSync(log, `${buildOutput}\n--- next start ---\n${running.output()}`);
      }
    },
    { scope: 'worker', timeout: 240_000 },
  ],

  baseURL: async ({ app }, use) => {
    await use(app.url);
  },
});

export { expect } from '@playwright/test';
