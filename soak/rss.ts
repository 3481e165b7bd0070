/**
 * The resident memory of the app server, read from /proc: the sum of VmRSS over every process
 * below this one (the `next start` child and whatever it forks), sampled once a second.
 *
 * @packageDocumentation
 */

import { readdir, readFile } from 'node:fs/promises';

/** The ids of every process below `pid`, from the kernel's list of each thread's children. */
async function descendants(pid: number): Promise<number[]> {
  const found: number[] = [];
  let threads: string[];
  try {
    threads = await readdir(`/proc/${pid}/task`);
  } catch {
    return found; // Gone in the meantime.
  }
  for (const thread of threads) {
    let children = '';
    try {
      children = await readFile(`/proc/${pid}/task/${thread}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of children.split(' ').filter(Boolean).map(Number)) {
      found.push(child, ...(await descendants(child)));
    }
  }
  return found;
}

/** VmRSS of one process in bytes, 0 once it is gone. */
async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kilobytes = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    return kilobytes === undefined ? 0 : Number(kilobytes) * 1024;
  } catch {
    return 0;
  }
}

export interface RssSample {
  /** Seconds since sampling started. */
  at: number;
  /** Summed RSS in bytes. */
  bytes: number;
  pids: number[];
}

/** Samples the RSS of every process below this one, every `intervalMs`, until stopped. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  /** When sampling started, in epoch milliseconds; sample times count from here. */
  readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;

  start(intervalMs = 1000): void {
    const sample = async () => {
      const pids = await descendants(process.pid);
      const sizes = await Promise.all(pids.map(rssOf));
      this.samples.push({
        at: (Date.now() - this.startedAt) / 1000,
        bytes: sizes.reduce((sum, size) => sum + size, 0),
        pids,
      });
    };
    void sample();
    this.timer = setInterval(() => void sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The samples taken from `from` to `to` seconds after sampling started. */
  between(from: number, to: number): RssSample[] {
    return this.samples.filter((sample) => sample.at >= from && sample.at <= to);
  }
}

/** The median of some samples' RSS, which a garbage collection in one of them does not move. */
export function medianBytes(samples: readonly RssSample[]): number {
  const sorted = samples.map((sample) => sample.bytes).sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
