/**
 * Adapts the HTTP and scale benchmarks, which run their own servers and report plain results,
 * into rows of the one table.
 *
 * @packageDocumentation
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Case } from './context.ts';
import type { Row, Target } from './report.ts';

/** What `bench/http/run.ts` and `bench/scale/run.ts` report. */
export interface ExternalResult {
  case: string;
  ratio: number;
  target?: string;
  met?: boolean;
  absolute: Record<string, number | string>;
}

function parseTarget(text: string | undefined): Target | undefined {
  const match = text?.match(/^(>=|<=)\s*([0-9.]+)$/);
  return match ? { op: match[1] as Target['op'], value: Number(match[2]) } : undefined;
}

function formatFigures(absolute: Record<string, number | string>): string {
  return Object.entries(absolute)
    .map(([name, value]) =>
      typeof value === 'number' ? `${name} ${Math.round(value * 100) / 100}` : `${name} ${value}`,
    )
    .join(', ');
}

/** A table case that runs `run` and turns each of its results into a row of `group`. */
export function externalCase(
  group: string,
  run: (options: { quick: boolean }) => Promise<ExternalResult[]>,
): Case {
  return async (ctx) => {
    const results = await run({ quick: ctx.quick });
    return results.map((result): Row => {
      // "A vs B": the row measures A, and its ratio is against B.
      const text = result.case.replace(/^(HTTP|Scale): /i, '');
      const split = text.lastIndexOf(' vs ');
      return {
        group,
        name: split < 0 ? text : text.slice(0, split),
        ratio: result.ratio,
        against: split < 0 ? '' : text.slice(split + 4),
        target: parseTarget(result.target),
        figures: formatFigures(result.absolute),
        raw: result.absolute,
      };
    });
  };
}

/**
 * Runs `run` and prints its results when `moduleUrl` is the script node was started with, so
 * the HTTP and scale benchmarks can also be run on their own.
 */
export async function runWhenMain(
  moduleUrl: string,
  run: (options: { quick: boolean }) => Promise<ExternalResult[]>,
): Promise<void> {
  const self = fileURLToPath(moduleUrl);
  if (!process.argv.slice(1).some((arg) => path.resolve(arg) === self)) return;
  const results = await run({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(results, null, 2));
}
