import path from 'node:path';
import type { NextConfig } from 'next';

// The example app lives in example-app/ but imports ruts from ../src (see its tsconfig paths),
// so the bundler's root is the repository. example-app/next.config.ts re-exports this file.
const repositoryRoot = path.resolve(
  process.cwd(),
  path.basename(process.cwd()) === 'example-app' ? '..' : '.',
);

const config: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  turbopack: { root: repositoryRoot },
  outputFileTracingRoot: repositoryRoot,
  // PGlite (the embedded session store) loads its WebAssembly from files beside its own module,
  // so it must be required from node_modules at run time rather than bundled.
  serverExternalPackages: ['@electric-sql/pglite'],
};

export default config;
