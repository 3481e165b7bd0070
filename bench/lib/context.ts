import type { GroupOptions } from './harness.ts';
import type { Row } from './report.ts';
import type { Services } from './services.ts';

/** What every case receives. */
export interface CaseContext {
  readonly services: Services;
  /** Rounds, slice and warm-up for throughput groups; `concurrency` is chosen per group. */
  readonly timing: Omit<GroupOptions, 'concurrency'>;
  readonly quick: boolean;
  /** Sessions per store, so concurrent operations spread over many keys. */
  readonly sessions: number;
  log(message: string): void;
}

export type Case = (ctx: CaseContext) => Promise<Row[]>;

/** The concurrency levels every throughput case runs at. */
export const LEVELS = [1, 64] as const;

export function levelName(concurrency: number): string {
  return concurrency === 1 ? 'sequential' : `${concurrency} in flight`;
}
