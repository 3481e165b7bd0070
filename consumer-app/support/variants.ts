import type { Bundler, GuardFile, StoreName, Variant } from './consumer-app.ts';

const BUNDLERS: Bundler[] = ['turbopack', 'webpack'];
const GUARDS: GuardFile[] = ['proxy.ts', 'middleware.ts'];

/**
 * Every store the README's Quick start names, built with both bundlers and guarded by both
 * files; the Redis over Postgres store, which adds no bundling case of its own, with each
 * bundler once; and the two in-process stores under `next dev`, which evaluates modules apart
 * for pages and Route Handlers just as a Turbopack build does.
 */
export const VARIANTS: Variant[] = [
  ...(['memory', 'pglite', 'redis'] satisfies StoreName[]).flatMap((store) =>
    BUNDLERS.flatMap((bundler) =>
      GUARDS.map((guard) => ({ store, bundler, guard, server: 'next start' as const })),
    ),
  ),
  { store: 'layered', bundler: 'turbopack', guard: 'proxy.ts', server: 'next start' },
  { store: 'layered', bundler: 'webpack', guard: 'middleware.ts', server: 'next start' },
  { store: 'memory', bundler: 'turbopack', guard: 'proxy.ts', server: 'next dev' },
  { store: 'pglite', bundler: 'turbopack', guard: 'proxy.ts', server: 'next dev' },
];
