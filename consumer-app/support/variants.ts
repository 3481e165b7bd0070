import type { Bundler, GuardFile, StoreName, Variant } from './consumer-app.ts';

const BUNDLERS: Bundler[] = ['turbopack', 'webpack'];
const GUARDS: GuardFile[] = ['proxy.ts', 'middleware.ts'];

/**
 * Every store the README's Quick start names, with both bundlers and both guard files; the
 * Redis over Postgres store, which adds no bundling case of its own, with each bundler once.
 */
export const VARIANTS: Variant[] = [
  ...(['memory', 'pglite', 'redis'] satisfies StoreName[]).flatMap((store) =>
    BUNDLERS.flatMap((bundler) => GUARDS.map((guard) => ({ store, bundler, guard }))),
  ),
  { store: 'layered', bundler: 'turbopack', guard: 'proxy.ts' },
  { store: 'layered', bundler: 'webpack', guard: 'middleware.ts' },
];
