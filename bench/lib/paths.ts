import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder, found by walking up to ruts' package.json, so paths hold whether
 * the bench runs from its sources or compiled under node_modules/.cache.
 */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'ruts')
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the ruts project root');
    dir = parent;
  }
})();

export const RESULTS_DIR = join(ROOT, 'bench', 'results');
