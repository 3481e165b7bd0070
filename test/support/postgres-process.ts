/**
 * A PostgreSQL server of the test's own, for fault injection: a fresh cluster from the installed
 * PostgreSQL 15 binaries, in a temporary directory, on a free loopback port, that a test may stop
 * (cleanly or as a crash) and start again on the same data. The system server is never touched.
 *
 * `initdb` refuses to run as root, so every binary runs as the `postgres` user.
 *
 * @packageDocumentation
 */

import { spawnSync } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { applyMigrations } from './postgres.ts';
import { freePorts, HOST, run, sleep } from './redis-process.ts';
import { quote, startWatchdog } from './watchdog.ts';

const BIN = process.env.RUTS_TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';

/**
 * How `pg_ctl stop` ends the server: `'fast'` rolls back open transactions and closes every
 * connection, as an orderly shutdown does; `'immediate'` quits at once, as a crash would, and the
 * next start runs crash recovery.
 */
export type PostgresStopMode = 'fast' | 'immediate';

/** A private PostgreSQL server. */
export interface PostgresProcess {
  readonly port: number;
  /** A URL for the `postgres` database as the `postgres` superuser (trust auth). */
  readonly url: string;
  /** The postmaster's PID while it runs, read from `postmaster.pid`. */
  pid(): Promise<number | undefined>;
  /** Stops the server and waits until it is gone. */
  stop(mode: PostgresStopMode): Promise<void>;
  /** Starts the server again on the same data directory and port, and waits until it accepts. */
  start(): Promise<void>;
  /** Stops the server at once and removes its directory. Safe to call twice. */
  cleanup(): Promise<void>;
}

/**
 * Creates a cluster in a fresh temporary directory and starts it, with the committed migrations
 * applied to its `public` schema in the `postgres` database. `fsync` is off, since the data
 * only has to survive the server's processes, not the machine; commits stay synchronous, so a
 * commit the server acknowledged survives even an `'immediate'` stop.
 */
export async function startPostgres(
  options: { timeoutSeconds?: number } = {},
): Promise<PostgresProcess> {
  const { timeoutSeconds = 30 } = options;
  const dir = await mkdtemp(join(tmpdir(), 'ruts-postgres-'));
  const data = join(dir, 'data');
  const [port] = (await freePorts(1)) as [number];
  const url = `postgres://postgres@${HOST}:${port}/postgres`;
  const { uid, gid } = osUser();
  await chown(dir, uid, gid);

  const pgCtl = (...args: string[]) => asPostgres('pg_ctl', ['-D', data, ...args]);
  const serverOptions = [
    `-c port=${port}`,
    `-c listen_addresses=${HOST}`,
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off',
    '-c max_connections=50',
    '-c shared_buffers=16MB',
  ].join(' ');
  const start = () =>
    pgCtl(
      'start',
      '-w',
      '-t',
      String(timeoutSeconds),
      '-l',
      join(dir, 'server.log'),
      '-o',
      serverOptions,
    );
  let running = false;
  // `pg_ctl` daemonises the server, so nothing ends it with the test process.
  const watchdog = startWatchdog(
    `${asPostgresCommand('pg_ctl').map(quote).join(' ')} -D ${quote(data)} stop -m immediate ` +
      `>/dev/null 2>&1; rm -rf ${quote(dir)}`,
  );
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    // Even when not known to run: a start that timed out may have started it all the same.
    await pgCtl('stop', '-w', '-m', 'immediate').catch(() => {});
    running = false;
    await rm(dir, { recursive: true, force: true });
    watchdog.stop();
  };

  try {
    await asPostgres('initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await start().catch(withLog(dir));
    running = true;
    await migrate(url);
  } catch (error) {
    await cleanup();
    throw error;
  }

  return {
    port,
    url,
    pid: async () => (running ? pidOf(data) : undefined),
    stop: async (mode) => {
      const pid = await pidOf(data);
      await pgCtl('stop', '-w', '-t', String(timeoutSeconds), '-m', mode);
      running = false;
      // pg_ctl returns once the PID file is gone, a moment before the process itself.
      const deadline = Date.now() + timeoutSeconds * 1000;
      while (pid !== undefined && (await processAlive(pid))) {
        if (Date.now() > deadline) throw new Error(`postgres (PID ${pid}) outlived pg_ctl stop`);
        await sleep(10);
      }
    },
    start: async () => {
      await start().catch(withLog(dir));
      running = true;
    },
    cleanup,
  };
}

/** The postmaster's PID, from the file it keeps in its data directory while it runs. */
async function pidOf(data: string): Promise<number | undefined> {
  const pidFile = await readFile(join(data, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(pidFile.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) ? pid : undefined;
}

/**
 * Whether a process runs. A daemonised server's parent is init, which may take a while to reap
 * it, so a zombie counts as gone.
 */
export async function processAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return false;
  // The state follows the command name, which is in parentheses and may contain spaces.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

async function migrate(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await applyMigrations((sql) => client.query(sql), 'public');
  } finally {
    await client.end();
  }
}

/** Runs one of the server's binaries as the `postgres` user, failing with its output. */
function asPostgres(binary: string, args: string[]): Promise<void> {
  const [command, ...prefix] = asPostgresCommand(binary) as [string, ...string[]];
  return run(command, [...prefix, ...args]);
}

/** The command line that runs `binary` as the `postgres` user (as is, unless we are root). */
function asPostgresCommand(binary: string): string[] {
  const path = `${BIN}/${binary}`;
  return userInfo().uid === 0 ? ['runuser', '-u', OS_USER, '--', path] : [path];
}

function osUser(): { uid: number; gid: number } {
  if (userInfo().uid !== 0) return { uid: userInfo().uid, gid: userInfo().gid };
  const id = (flag: string) =>
    Number.parseInt(spawnSync('id', [flag, OS_USER], { encoding: 'utf8' }).stdout, 10);
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(
      `there is no "${OS_USER}" user to run PostgreSQL as (initdb refuses root). ` +
        'Install the postgresql package, which creates it.',
    );
  }
  return { uid, gid };
}

/** Adds the server's log to a failed start, which is where Postgres says why. */
function withLog(dir: string): (error: unknown) => Promise<never> {
  return async (error) => {
    const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '(no log)');
    throw new Error(`${(error as Error).message}\nserver log:\n${log}`, { cause: error });
  };
}
