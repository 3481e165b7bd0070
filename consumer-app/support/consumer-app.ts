/**
 * A user's app, made the way a user makes one: a fresh Next.js app (`template/`), the packed
 * ruts installed from its tarball with only the drivers of one store, the README's Quick start
 * pasted in, then `next build` with Turbopack or webpack and `next start`. Each store gets its
 * own folder and install, so an app on PGlite proves it builds without `pg` installed.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseEnvironment, freePort } from '../../e2e/support/app-server.ts';
import {
  nextConfigFor,
  quickStartFiles,
  REPOSITORY_ROOT,
  sessionModuleFor,
} from './readme-files.ts';

export const SESSION_SECRET = 'consumer-app-only-secret-0123456789-abcdefghij';
export const REDIS_URL = 'redis://127.0.0.1:6379/5';
export const DATABASE_NAME = 'ruts_consumer_app';
export const DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${DATABASE_NAME}`;

const TEMPLATE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../template');
const HOST = '127.0.0.1';

/** What a store needs in the app: the README's name for it, its drivers, its environment. */
export interface StoreSetup {
  /** How the README's Stores section labels its block; the Quick start's MemoryStore if none. */
  readonly readme: string | undefined;
  /** Packages to install beside ruts, at the versions of the repository's lockfile. */
  readonly packages: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Files the test adds beyond the README's, by path. */
  readonly extraFiles?: Readonly<Record<string, string>>;
}

export const STORES = {
  memory: { readme: undefined, packages: [], env: {} },
  pglite: { readme: 'PGlite', packages: ['@electric-sql/pglite'], env: {} },
  redis: { readme: 'Redis', packages: ['ioredis'], env: { REDIS_URL } },
  layered: {
    readme: 'Redis over Postgres',
    packages: ['ioredis', 'pg', '@vercel/postgres'],
    env: { REDIS_URL, DATABASE_URL },
    // The other two executors, built with no next.config.ts setting, as the README says.
    extraFiles: {
      'app/api/executors/route.ts': [
        "import { prismaExecutor } from 'ruts/postgres/prisma';",
        "import { vercelExecutor } from 'ruts/postgres/vercel';",
        '',
        'export const dynamic = "force-dynamic";',
        '',
        'export function GET() {',
        '  const executors = [prismaExecutor, vercelExecutor].map((make) => typeof make);',
        '  return Response.json({ executors, vercel: typeof vercelExecutor().query });',
        '}',
        '',
      ].join('\n'),
    },
  },
} satisfies Record<string, StoreSetup>;

export type StoreName = keyof typeof STORES;
export type Bundler = 'turbopack' | 'webpack';
export type GuardFile = 'proxy.ts' | 'middleware.ts';

/** How the app runs: built and served in production, or served by the development server. */
export type Server = 'next start' | 'next dev';

export interface Variant {
  readonly store: StoreName;
  readonly bundler: Bundler;
  readonly guard: GuardFile;
  readonly server: Server;
}

/** The session cookie's name: `Secure`, and so `__Host-`, only in production. */
export function cookieName(variant: Variant): string {
  return variant.server === 'next start' ? '__Host-ruts' : 'ruts';
}

/** The folder global setup packed the tarball into; each store's app is a folder in it. */
export function workFolder(): string {
  const folder = process.env.RUTS_CONSUMER_DIR;
  if (!folder)
    throw new Error('RUTS_CONSUMER_DIR is unset: run through consumer-app/playwright.config.ts');
  return folder;
}

/** The version of `name` in the repository's lockfile, which `npm ci` has put in npm's cache. */
function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'package-lock.json'), 'utf8'));
  const version = lock.packages?.[`node_modules/${name}`]?.version;
  if (typeof version !== 'string') throw new Error(`package-lock.json does not lock ${name}`);
  return version;
}

/**
 * A Route Handler every variant gets: it adds fields until the store refuses one, and reports
 * whether the error is the class the app imports from `ruts/next` (the store module may be
 * another copy of ruts under Turbopack).
 */
const FILL_ROUTE = [
  "import { SessionTooLargeError } from 'ruts/next';",
  "import { sessions } from '@/lib/session';",
  '',
  "export const dynamic = 'force-dynamic';",
  '',
  'export const POST = sessions.route(async (_request, session) => {',
  '  const writable = session as unknown as { set(key: string, value: number): Promise<void> };',
  '  for (let written = 0; written <= 300; written++) {',
  '    try {',
  '      await writable.set(`key${written}`, written);',
  '    } catch (error) {',
  '      const refused = error instanceof SessionTooLargeError;',
  '      return Response.json({ written, refused, code: (error as { code?: string }).code });',
  '    }',
  '  }',
  '  return Response.json({ written: 301, refused: false });',
  '});',
  '',
].join('\n');

/**
 * A Route Handler every variant gets: one owner signed in twice, as this request's session (its
 * cookie goes back on the response) and as a second browser opened with the manager; it lists
 * them, revokes the second by handle, then ends two more with `revokeSessions`, and reports
 * what it saw, and whether `getSession()` inside `route()` gave the same handle. The second browser's cookie comes back too, to be replayed after its revocation.
 */
const OWNERS_ROUTE = [
  "import { sessions } from '@/lib/session';",
  '',
  "export const dynamic = 'force-dynamic';",
  '',
  'export const POST = sessions.route(async (_request, session) => {',
  "  const owner = ['owner', crypto.randomUUID()].join('-');",
  '  await session.regenerate({ owner, set: { userId: owner } });',
  "  let otherCookie = '';",
  '  const other = sessions.manager.open(undefined, {',
  '    onCookie: (cookie) => {',
  '      otherCookie = cookie.value;',
  '    },',
  '  });',
  '  await other.regenerate({ owner, set: { userId: owner } });',
  '  const current = (await session.info())?.handle;',
  "  const otherHandle = (await other.info())?.handle ?? '';",
  "  const listed = await sessions.listSessions(owner, { fields: ['userId'] });",
  '  const revoked = await sessions.revokeSession(owner, otherHandle);',
  '  const revokedAgain = await sessions.revokeSession(owner, otherHandle);',
  "  const revokedReads = (await sessions.manager.open(otherCookie).get('userId')) ?? null;",
  '  const more = [1, 2].map(() => sessions.manager.open(undefined).regenerate({ owner }));',
  '  await Promise.all(more);',
  '  const ended = await sessions.revokeSessions(owner, { except: session });',
  '  const left = await sessions.listSessions(owner);',
  '  return Response.json({',
  '    owner,',
  '    otherCookie,',
  '    listed: listed.map((s) => ({ current: s.handle === current, userId: s.fields.userId })),',
  '    revoked,',
  '    revokedAgain,',
  '    revokedReads,',
  '    ended,',
  '    left: left.map((s) => s.handle === current),',
  "    signedIn: (await session.get('userId')) === owner,",
  '    sameHandle: (await sessions.getSession()) === session,',
  '  });',
  '});',
  '',
].join('\n');

/** The store's app folder with its packages installed; installs once per run. */
export async function installApp(store: StoreName, tarball: string): Promise<string> {
  const dir = path.join(workFolder(), store);
  if (existsSync(path.join(dir, 'node_modules', 'ruts'))) return dir;
  cpSync(TEMPLATE, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const versions = (names: readonly string[]) =>
    Object.fromEntries(names.map((name) => [name, lockedVersion(name)]));
  manifest.dependencies = {
    ...versions(['next', 'react', 'react-dom', ...STORES[store].packages]),
    ruts: `file:${path.relative(dir, tarball)}`,
  };
  manifest.devDependencies = versions([
    'typescript',
    '@types/node',
    '@types/react',
    '@types/react-dom',
  ]);
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], dir, {});
  return dir;
}

/** Writes the variant's files into the app: the README's, as a user would paste them. */
export function writeVariant(dir: string, variant: Variant): void {
  const setup: StoreSetup = STORES[variant.store];
  const files = quickStartFiles();
  if (setup.readme !== undefined) files.set('lib/session.ts', sessionModuleFor(setup.readme));
  const otherGuard = variant.guard === 'proxy.ts' ? 'middleware.ts' : 'proxy.ts';
  files.delete(otherGuard);
  rmSync(path.join(dir, otherGuard), { force: true });
  const config = setup.readme === undefined ? undefined : nextConfigFor(setup.readme);
  files.set(
    'next.config.ts',
    config ?? readFileSync(path.join(TEMPLATE, 'next.config.ts'), 'utf8'),
  );
  files.set('app/api/fill/route.ts', FILL_ROUTE);
  files.set('app/api/owners/route.ts', OWNERS_ROUTE);
  for (const [file, text] of [...files, ...Object.entries(setup.extraFiles ?? {})]) {
    const target = path.join(dir, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}

/** The environment `next build` and `next start` get. */
export function appEnvironment(variant: Variant): Record<string, string> {
  return { SESSION_SECRET, ...STORES[variant.store].env };
}

const WEBPACK = ['--webpack'];

/** `next build` with the variant's bundler; resolves its output (none for `next dev`). */
export async function build(dir: string, variant: Variant): Promise<string> {
  rmSync(path.join(dir, '.next'), { recursive: true, force: true });
  if (variant.server === 'next dev') return '';
  const args = ['build', ...(variant.bundler === 'webpack' ? WEBPACK : [])];
  return run(process.execPath, [nextBin(dir), ...args], dir, appEnvironment(variant));
}

function nextBin(dir: string): string {
  return path.join(dir, 'node_modules', 'next', 'dist', 'bin', 'next');
}

/** A running `next start` of the app. */
export interface AppProcess {
  readonly url: string;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function start(dir: string, variant: Variant): Promise<AppProcess> {
  const port = await freePort();
  const command = variant.server === 'next dev' ? 'dev' : 'start';
  const bundler = variant.server === 'next dev' && variant.bundler === 'webpack' ? WEBPACK : [];
  const child = spawn(
    process.execPath,
    [nextBin(dir), command, ...bundler, '--port', String(port), '--hostname', HOST],
    { cwd: dir, env: baseEnvironment(appEnvironment(variant)), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  const app: AppProcess = {
    url: `http://${HOST}:${port}`,
    output: () => Buffer.concat(chunks).toString('utf8'),
    stop: () => stop(child),
  };
  // The development server compiles each route on its first request.
  const deadline = Date.now() + 60_000;
  while (!(await answers(app.url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await app.stop();
      throw new Error(`next start did not come up:\n${app.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return app;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Runs a command to completion; resolves its output, rejects with it. */
export function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const child = spawn(command, args, {
      cwd,
      env: baseEnvironment(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === 0) resolve(output);
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} failed (${code ?? signal}) in ${cwd}:\n${output}`,
          ),
        );
    });
  });
}
