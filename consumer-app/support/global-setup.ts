/**
 * Packs ruts as `npm publish` would (`npm pack`, which builds it first), into a folder outside
 * the repository so no app there can reach the sources, and gives the Redis over Postgres app a
 * database of its own. Set `RUTS_CONSUMER_KEEP=1` to keep the folder for a look afterwards.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DATABASE_NAME, run } from './consumer-app.ts';
import { REPOSITORY_ROOT } from './readme-files.ts';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'ruts-consumer-'));
  const started = Date.now();
  const packed = await run(
    'npm',
    ['pack', '--json', '--pack-destination', folder],
    REPOSITORY_ROOT,
    {},
  );
  const [tarball] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string }[];
  if (tarball === undefined) throw new Error(`npm pack printed no tarball:\n${packed}`);
  process.env.RUTS_CONSUMER_DIR = folder;
  process.env.RUTS_CONSUMER_TARBALL = path.join(folder, tarball.filename);
  console.log(
    `[consumer] packed ${tarball.filename} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE_NAME} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await admin.end();
  }

  return async () => {
    if (process.env.RUTS_CONSUMER_KEEP === '1') console.log(`[consumer] kept ${folder}`);
    else rmSync(folder, { recursive: true, force: true });
  };
}
