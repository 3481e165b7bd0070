/**
 * Builds the example app once per run (`next build`, cwd `example-app`). Set
 * `E2E_SKIP_BUILD=1` to reuse the build already in `example-app/.next` while iterating on tests.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { APP_DIR, baseEnvironment, NEXT_BIN } from './app-server.ts';
import { COMMON_ENV } from './run-settings.ts';

export default async function globalSetup(): Promise<void> {
  if (process.env.E2E_SKIP_BUILD === '1') {
    console.log('[e2e] E2E_SKIP_BUILD=1: reusing example-app/.next');
    return;
  }
  // The build gets a throwaway data folder, so nothing it might open lands in example-app/.data.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ruts-e2e-build-'));
  const started = Date.now();
  console.log('[e2e] next build (example-app)…');
  try {
    await run(process.execPath, [NEXT_BIN, 'build'], {
      ...COMMON_ENV,
      RUTS_DATA_DIR: dataDir,
      NODE_ENV: 'production',
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`[e2e] next build done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const output: Buffer[] = [];
    const child = spawn(command, args, {
      cwd: APP_DIR,
      env: baseEnvironment(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else {
        const log = Buffer.concat(output).toString('utf8');
        reject(new Error(`next build failed (${code ?? signal}):\n${log}`));
      }
    });
  });
}
