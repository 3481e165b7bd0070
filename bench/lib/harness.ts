/**
 * The measuring loop: each subject of a group runs for a fixed slice of time, the group's members
 * take turns in a rotating order, round after round, so drift on the machine hits every member
 * alike. A member's figure is the median over rounds of its throughput divided by its baseline's
 * throughput in the same round.
 *
 * @packageDocumentation
 */

import { performance } from 'node:perf_hooks';

/** One thing to measure: an async operation run `concurrency` at a time. */
export interface Subject {
  readonly id: string;
  readonly op: () => Promise<unknown>;
}

export interface GroupOptions {
  /** Operations in flight at once. */
  readonly concurrency: number;
  /** How many rounds each member runs. */
  readonly rounds: number;
  /** How long each member runs per round, in ms. */
  readonly sliceMs: number;
  /** Unmeasured time per member before the first round, in ms. */
  readonly warmupMs: number;
}

/** What one member measured. */
export interface Measured {
  readonly id: string;
  readonly concurrency: number;
  /** Operations per second in each round. */
  readonly opsPerRound: number[];
  /** Median of {@link opsPerRound}. */
  readonly opsPerSec: number;
  /** Latency percentiles over every measured operation, in microseconds. */
  readonly p50Us: number;
  readonly p99Us: number;
  readonly samples: number;
}

/** A member's throughput against another member's, round by round. */
export interface Ratio {
  /** Median of the per-round ratios. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly perRound: number[];
}

interface SliceResult {
  ops: number;
  elapsedMs: number;
}

/** Latencies are kept in a fixed-size reservoir per member, so long runs do not grow memory. */
class Reservoir {
  readonly #values: Float64Array;
  #seen = 0;
  constructor(size = 200_000) {
    this.#values = new Float64Array(size);
  }
  add(value: number): void {
    const size = this.#values.length;
    if (this.#seen < size) this.#values[this.#seen] = value;
    else {
      const slot = Math.floor(Math.random() * (this.#seen + 1));
      if (slot < size) this.#values[slot] = value;
    }
    this.#seen++;
  }
  percentile(p: number): number {
    const n = Math.min(this.#seen, this.#values.length);
    if (n === 0) return Number.NaN;
    const sorted = this.#values.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.floor((p / 100) * n))] as number;
  }
  get count(): number {
    return this.#seen;
  }
}

/** Runs `op` with `concurrency` workers for `ms`; records each latency into `reservoir`. */
async function runSlice(
  op: () => Promise<unknown>,
  concurrency: number,
  ms: number,
  reservoir: Reservoir | undefined,
): Promise<SliceResult> {
  let ops = 0;
  const start = performance.now();
  const deadline = start + ms;
  const worker = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= deadline) return;
      await op();
      const t1 = performance.now();
      reservoir?.add((t1 - t0) * 1000);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ops, elapsedMs: performance.now() - start };
}

/** The median of `values` (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Measures every subject of a group, interleaved. Returns each member's figures by id.
 * Members run one after another, never at once, so they do not compete for the CPU.
 */
export async function measureGroup(
  subjects: readonly Subject[],
  options: GroupOptions,
): Promise<Map<string, Measured>> {
  const { concurrency, rounds, sliceMs, warmupMs } = options;
  // Warm-up also checks that every operation works before anything is timed.
  for (const subject of subjects) {
    await subject.op();
    await runSlice(subject.op, concurrency, warmupMs, undefined);
  }
  const reservoirs = subjects.map(() => new Reservoir());
  const perRound = subjects.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    // Rotate the order, so no member always runs first (after a pause) or last.
    for (let k = 0; k < subjects.length; k++) {
      const index = (k + round) % subjects.length;
      const subject = subjects[index] as Subject;
      const { ops, elapsedMs } = await runSlice(
        subject.op,
        concurrency,
        sliceMs,
        reservoirs[index],
      );
      (perRound[index] as number[]).push((ops / elapsedMs) * 1000);
    }
  }
  const result = new Map<string, Measured>();
  subjects.forEach((subject, index) => {
    const reservoir = reservoirs[index] as Reservoir;
    const opsPerRound = perRound[index] as number[];
    result.set(subject.id, {
      id: subject.id,
      concurrency,
      opsPerRound,
      opsPerSec: median(opsPerRound),
      p50Us: reservoir.percentile(50),
      p99Us: reservoir.percentile(99),
      samples: reservoir.count,
    });
  });
  return result;
}

/** `subject` throughput over `baseline` throughput, per round, and the median of those. */
export function ratioOf(subject: Measured, baseline: Measured): Ratio {
  const perRound = subject.opsPerRound.map(
    (ops, round) => ops / (baseline.opsPerRound[round] as number),
  );
  return {
    median: median(perRound),
    min: Math.min(...perRound),
    max: Math.max(...perRound),
    perRound,
  };
}

/**
 * `subject`'s time per operation over the sum of `parts`' times per operation (time being
 * 1 / throughput), per round, and the median of those: how one `subject` operation compares with
 * doing one operation of each part in turn. Unlike {@link ratioOf}, lower is faster.
 */
export function timeOverSumOf(subject: Measured, parts: readonly Measured[]): Ratio {
  const perRound = subject.opsPerRound.map((ops, round) => {
    const partsTime = parts.reduce((sum, part) => sum + 1 / (part.opsPerRound[round] as number), 0);
    return 1 / ops / partsTime;
  });
  return {
    median: median(perRound),
    min: Math.min(...perRound),
    max: Math.max(...perRound),
    perRound,
  };
}

/** Times a synchronous function: runs it in batches for `ms` and returns ns per call. */
export function timeSync(fn: () => unknown, ms: number): number {
  // Find a batch size that takes ~1 ms, so the clock's cost stays out of the figure.
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    if (performance.now() - t0 > 1 || batch > 1 << 24) break;
    batch *= 2;
  }
  let calls = 0;
  const start = performance.now();
  const deadline = start + ms;
  while (performance.now() < deadline) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
  }
  return ((performance.now() - start) * 1e6) / calls;
}

/** The member `id` of a measured group; throws if it is missing. */
export function pick(results: Map<string, Measured>, id: string): Measured {
  const found = results.get(id);
  if (found === undefined) throw new Error(`no measurement named ${id}`);
  return found;
}
