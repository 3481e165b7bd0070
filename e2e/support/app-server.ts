/**
 * Runs the example app's production server (`next start`) as a child process, so that a test
 * can stop it and start it again on the same port with the same environment.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository: the nearest folder above this module that holds the example app. It looks
 * upwards because the soak (`npm run soak`) runs a compiled copy under node_modules/.cache.
 */
function findRepositoryRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'example-app', 'next.config.ts'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository (no example-app/ above)');
    dir = parent;
  }
  return dir;
}

export const REPOSITORY_ROOT = findRepositoryRoot();
export const APP_DIR = path.join(REPOSITORY_ROOT, 'example-app');
export const NEXT_BIN = path.join(REPOSITORY_ROOT, 'node_modules/next/dist/bin/next');

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** Lines of server output kept to explain a failed start. */
const TAIL_LINES = 40;

/** Variables no run may inherit from the shell: each run says which stores it uses. */
const STORE_VARIABLES = ['REDIS_URL', 'DATABASE_URL', 'RUTS_DATA_DIR', 'PORT', 'NODE_ENV'];

/** The environment `next build` and `next start` get: the shell's, minus store choices. */
export function baseEnvironment(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
  for (const name of STORE_VARIABLES) delete env[name];
  return { ...env, ...overrides };
}

/** A TCP port on loopback that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe server'));
      });
    });
  });
}

export interface AppServerOptions {
  port: number;
  /** Variables on top of the shell's (store variables of the shell are dropped). */
  env: Record<string, string>;
  /** Where the server's stdout and stderr are appended. */
  logFile: string;
}

/** One `next start` process for the example app, which can be stopped and started again. */
export class AppServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private readonly log: WriteStream;
  private tail: string[] = [];
  private overrides: Record<string, string> = {};

  /** Where the server's output goes. */
  get logFile(): string {
    return this.options.logFile;
  }

  constructor(private readonly options: AppServerOptions) {
    this.url = `http://${HOST}:${options.port}`;
    this.log = createWriteStream(options.logFile, { flags: 'a' });
  }

  /** Starts the server; resolves once it answers HTTP and its session store took a write. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the app server is already running');
    this.tail = [];
    this.log.write(`\n--- next start on port ${this.options.port} ---\n`);
    const child = spawn(
      process.execPath,
      [NEXT_BIN, 'start', '--port', String(this.options.port), '--hostname', HOST],
      {
        cwd: APP_DIR,
        env: baseEnvironment({ ...this.options.env, ...this.overrides, NODE_ENV: 'production' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    // If the worker exits without tearing down (a crash), the server must not outlive it.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const record = (chunk: Buffer) => {
      this.log.write(chunk);
      this.tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      this.tail = this.tail.slice(-TAIL_LINES);
    };
    child.stdout?.on('data', record);
    child.stderr?.on('data', record);
    try {
      await this.waitUntilReady(child);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Stops the server and starts it again on the same port, with the same environment or with
   * `env` on top of the one it was created with (until the next restart).
   */
  async restart(env: Record<string, string> = {}): Promise<void> {
    await this.stop();
    this.overrides = env;
    await this.start();
  }

  /** Closes the log file; call after the last stop(). */
  async dispose(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await this.answers())) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `next start exited (${child.exitCode ?? child.signalCode}):\n${this.tailText()}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `next start did not answer within ${START_TIMEOUT_MS} ms:\n${this.tailText()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await this.warmUpStore();
  }

  /** Whether the server answers the home page without a server error. */
  private async answers(): Promise<boolean> {
    try {
      const response = await fetch(this.url, { redirect: 'manual' });
      await response.arrayBuffer();
      return response.status < 500;
    } catch {
      return false; // Not listening yet.
    }
  }

  /**
   * Writes one throwaway session through the API, so the store (PGlite, or the connections to
   * Redis and PostgreSQL) is open before the first test, and a broken store fails here, once.
   */
  private async warmUpStore(): Promise<void> {
    const response = await fetch(`${this.url}/api/session/warm-up`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: true }),
    });
    const body = await response.text();
    if (response.status !== 200) {
      throw new Error(
        `the app's session store did not answer a first write (${response.status} ${body}):\n` +
          this.tailText(),
      );
    }
  }

  private tailText(): string {
    return this.tail.map((line) => `  | ${line}`).join('\n');
  }
}
