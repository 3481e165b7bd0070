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
};

export default config;
