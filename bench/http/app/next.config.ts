import path from 'node:path';
import type { NextConfig } from 'next';

// The bench app lives in bench/http/app/ and imports ruts from ../../../src (see its tsconfig
// paths), so the bundler's root is the repository, as in the root next.config.ts. Next loads
// this file from a string: start Next with the app folder as its working directory.
const repositoryRoot = path.resolve(process.cwd(), '../../..');

const config: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  turbopack: { root: repositoryRoot },
  outputFileTracingRoot: repositoryRoot,
};

export default config;
