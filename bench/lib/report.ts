/**
 * What each case reports, and the one table printed at the end of a run.
 *
 * @packageDocumentation
 */

import type { Measured, Ratio } from './harness.ts';

/** A target on a ratio: at least (`>=`) or at most (`<=`) `value`. */
export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
}

/** One row of the table. */
export interface Row {
  /** The case number and a short name, e.g. `1 read`. */
  readonly group: string;
  /** What was measured, e.g. `Redis, 64 in flight`. */
  readonly name: string;
  /** The figure: a throughput ratio, or for memory and size a bytes ratio. */
  readonly ratio: number;
  /** Lowest and highest per-round ratio, when measured over rounds. */
  readonly range?: readonly [number, number];
  /** What the ratio is against, e.g. `HGETALL + HMAC`. */
  readonly against: string;
  readonly target?: Target;
  /** This machine's figures, formatted. */
  readonly figures: string;
  /** Raw figures for the JSON file. */
  readonly raw?: Record<string, unknown>;
}

export function met(row: Row): boolean | undefined {
  if (row.target === undefined) return undefined;
  return row.target.op === '>=' ? row.ratio >= row.target.value : row.ratio <= row.target.value;
}

/** `12,345 ops/s, p50 81 µs, p99 400 µs` */
export function figuresOf(m: Measured): string {
  return `${fmtInt(m.opsPerSec)} ops/s, p50 ${fmtUs(m.p50Us)}, p99 ${fmtUs(m.p99Us)}`;
}

export function rawOf(m: Measured): Record<string, unknown> {
  return {
    concurrency: m.concurrency,
    opsPerSec: Math.round(m.opsPerSec),
    p50Us: round1(m.p50Us),
    p99Us: round1(m.p99Us),
    opsPerRound: m.opsPerRound.map(Math.round),
    samples: m.samples,
  };
}

/** A row for a throughput ratio between two measured members. */
export function ratioRow(
  group: string,
  name: string,
  subject: Measured,
  ratio: Ratio,
  against: string,
  target?: Target,
  extra = '',
): Row {
  return {
    group,
    name,
    ratio: ratio.median,
    range: [ratio.min, ratio.max],
    against,
    target,
    figures: figuresOf(subject) + extra,
    raw: { ...rawOf(subject), ratioPerRound: ratio.perRound.map(round3) },
  };
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtUs(us: number): string {
  if (us >= 10_000) return `${(us / 1000).toFixed(1)} ms`;
  if (us >= 100) return `${Math.round(us)} µs`;
  return `${us.toFixed(1)} µs`;
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** The table, as fixed-width text. */
export function renderTable(rows: readonly Row[]): string {
  const header = ['case', 'measured', 'ratio', 'vs', 'target', 'met?', "this machine's figures"];
  const lines = rows.map((row) => {
    const ok = met(row);
    return [
      row.group,
      row.name,
      `${row.ratio.toFixed(2)}×`,
      row.against,
      row.target ? `${row.target.op} ${row.target.value}×` : '—',
      ok === undefined ? '' : ok ? 'yes' : 'NO',
      row.figures,
    ];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => (l[i] as string).length)),
  );
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}
