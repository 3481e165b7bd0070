/**
 * The `test` every spec imports: Playwright's, plus one example-app server per worker, started
 * with the stores of the worker's project. `baseURL` points at that server, so specs use paths.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test as base } from '@playwright/test';
import { AppServer, freePort } from './app-server.ts';
import { COMMON_ENV, DATABASE_URL, REDIS_URL } from './run-settings.ts';

/**
 * Which stores the app runs with: `embedded` is the default with no database settings
 * (MemoryStore over PGlite in a fresh folder), `redis-postgres` is Redis over PostgreSQL.
 */
export type StoreMode = 'embedded' | 'redis-postgres';

export interface StoreOptions {
  storeMode: StoreMode;
}

interface WorkerFixtures extends StoreOptions {
  /** The running app; `restart()` stops it and starts it again with the same data. */
  appServer: AppServer;
}

export const test = base.extend<object, WorkerFixtures>({
  storeMode: ['embedded', { option: true, scope: 'worker' }],

  appServer: [
    async ({ storeMode }, use, workerInfo) => {
      const dataDir =
        storeMode === 'embedded'
          ? await mkdtemp(path.join(os.tmpdir(), 'ruts-e2e-data-'))
          : undefined;
      const env: Record<string, string> = dataDir
        ? { ...COMMON_ENV, RUTS_DATA_DIR: dataDir }
        : { ...COMMON_ENV, REDIS_URL, DATABASE_URL };
      const server = new AppServer({
        port: await freePort(),
        env,
        logFile: path.join(
          workerInfo.project.outputDir,
          `server-${workerInfo.project.name}-${workerInfo.workerIndex}.log`,
        ),
      });
      try {
        await server.start();
        await use(server);
      } finally {
        await server.dispose();
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
      }
    },
    { scope: 'worker', timeout: 90_000 },
  ],

  baseURL: async ({ appServer }, use) => {
    await use(appServer.url);
  },
});

export { expect } from '@playwright/test';
