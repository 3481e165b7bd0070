/**
 * Purging expired rows. Reads never return expired data, so sweeping only reclaims space; it
 * works in small batches, each its own statement and transaction, so it never holds many locks
 * for long and never blocks on rows that live calls are using.
 *
 * @packageDocumentation
 */

import { ConfigError, StoreError } from '../../core/errors.ts';
import type { PostgresExecutor } from './executor.ts';
import type { PostgresStatements } from './postgres-statements.ts';

/** Rows one sweep statement deletes at most. */
export const DEFAULT_SWEEP_BATCH_SIZE = 1_000;

/** How often the sweeper runs unless told otherwise. */
export const DEFAULT_SWEEP_INTERVAL_MS = 5 * 60_000;

/** Options of {@link PostgresStore.startSweeper}. */
export interface SweeperOptions {
  /**
   * Time between the end of one sweep and the start of the next, in ms. Sweeps never overlap.
   * @default 300_000 (five minutes)
   */
  readonly intervalMs?: number;
  /**
   * Rows each statement deletes at most. Smaller batches hold locks for less time.
   * @default the store's `sweepBatchSize`
   */
  readonly batchSize?: number;
  /**
   * Receives each failed sweep's error, wrapped in a {@link StoreError}. The sweeper carries on
   * regardless and tries again after the next interval.
   * @default logs the error with `console.error`
   */
  readonly onError?: (error: StoreError) => void;
  /**
   * Receives the number of sessions each successful sweep removed.
   * @default undefined
   */
  readonly onSweep?: (removed: number) => void;
}

/** A running sweeper. */
export interface Sweeper {
  /** Stops the sweeper; resolves once a sweep in progress, if any, has finished. */
  stop(): Promise<void>;
}

/** Deletes expired sessions, then expired fields of live ones, `batchSize` rows at a time. */
export async function sweepExpired(
  executor: PostgresExecutor,
  statements: PostgresStatements,
  batchSize: number,
): Promise<number> {
  const drain = async (sql: string): Promise<number> => {
    let total = 0;
    for (;;) {
      const [row] = await executor.query<{ removed: number }>(sql, [batchSize]);
      const removed = Number(row?.removed ?? 0);
      total += removed;
      // A short batch means nothing more was due, or the rest is locked by live calls.
      if (removed < batchSize) return total;
    }
  };
  const sessions = await drain(statements.sweepSessions);
  await drain(statements.sweepFields);
  return sessions;
}

/** Validates a positive integer option, naming it in the error. */
export function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(
      `PostgresStore ${name} must be a positive integer, got ${String(value)}. ` +
        `Leave it out for the default of ${fallback}.`,
    );
  }
  return value;
}

/**
 * Runs `sweep` every `intervalMs` until stopped. A timer that re-arms after each run, rather
 * than an interval, so a slow sweep is never overlapped by the next. The timer is unref'd: a
 * sweeper alone does not keep the process alive.
 */
export function startSweeping(
  sweep: (batchSize: number) => Promise<number>,
  options: SweeperOptions,
  defaultBatchSize: number,
): Sweeper {
  const intervalMs = positiveInteger(
    'sweeper intervalMs',
    options.intervalMs,
    DEFAULT_SWEEP_INTERVAL_MS,
  );
  const batchSize = positiveInteger('sweeper batchSize', options.batchSize, defaultBatchSize);
  const { onError = reportToConsole, onSweep } = options;
  if (typeof onError !== 'function' || (onSweep !== undefined && typeof onSweep !== 'function')) {
    throw new ConfigError('PostgresStore sweeper onError and onSweep must be functions.');
  }
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;

  const run = async (): Promise<void> => {
    try {
      const removed = await sweep(batchSize);
      if (!stopped) onSweep?.(removed);
    } catch (error) {
      if (!stopped) report(onError, new StoreError('sweep', error));
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = run().finally(() => {
        running = undefined;
        schedule();
      });
    }, intervalMs);
    timer.unref?.();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

/** A hook that throws must not stop the sweeper, which would then fail silently forever. */
function report(onError: (error: StoreError) => void, error: StoreError): void {
  try {
    onError(error);
  } catch (hookError) {
    reportToConsole(new StoreError('sweep (onError hook)', hookError));
  }
}

function reportToConsole(error: StoreError): void {
  console.error(error);
}
