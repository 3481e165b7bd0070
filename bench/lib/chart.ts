/**
 * The chart the README shows, drawn as plain SVG from a run's rows: one bar per row with its
 * ratio, the target as a mark across the bar, and green/red for met/missed.
 *
 * @packageDocumentation
 */

import { met, type Row } from './report.ts';

const ROW_H = 22;
const LABEL_W = 520;
const PLOT_W = 420;
const VALUE_W = 70;
const TOP = 56;
const GROUP_GAP = 10;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderChart(rows: readonly Row[], subtitle: string): string {
  const max = Math.min(
    3,
    Math.max(1.2, ...rows.map((r) => r.ratio), ...rows.map((r) => r.target?.value ?? 0)) * 1.05,
  );
  const x = (v: number) => LABEL_W + (Math.min(v, max) / max) * PLOT_W;
  const parts: string[] = [];
  let y = TOP;
  let group = '';
  for (const row of rows) {
    if (row.group !== group) {
      if (group !== '') y += GROUP_GAP;
      group = row.group;
      parts.push(`<text x="8" y="${y + 14}" class="group">${escapeXml(row.group)}</text>`);
      y += ROW_H;
    }
    const ok = met(row);
    const fill = ok === undefined ? '#9aa5b1' : ok ? '#2f9e44' : '#e03131';
    const w = Math.max(1, x(row.ratio) - LABEL_W);
    parts.push(
      `<text x="${LABEL_W - 8}" y="${y + 15}" text-anchor="end">${escapeXml(row.against ? `${row.name} (vs ${row.against})` : row.name)}</text>`,
      `<rect x="${LABEL_W}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW_H - 8}" fill="${fill}"/>`,
      `<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${y + 15}">${row.ratio.toFixed(2)}×${row.ratio > max ? ' ▸' : ''}</text>`,
    );
    if (row.target) {
      const tx = x(row.target.value).toFixed(1);
      parts.push(
        `<line x1="${tx}" x2="${tx}" y1="${y + 1}" y2="${y + ROW_H - 1}" class="target"><title>${escapeXml(`target ${row.target.op} ${row.target.value}×`)}</title></line>`,
      );
    }
    y += ROW_H;
  }
  const height = y + 40;
  const width = LABEL_W + PLOT_W + VALUE_W;
  const ticks: string[] = [];
  for (let v = 0; v <= max + 1e-9; v += 0.5) {
    const tx = x(v).toFixed(1);
    ticks.push(
      `<line x1="${tx}" x2="${tx}" y1="${TOP - 4}" y2="${y}" class="grid"/>`,
      `<text x="${tx}" y="${y + 16}" text-anchor="middle" class="axis">${v.toFixed(1)}×</text>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    '<title id="chart-title">ruts benchmarks: each figure as a ratio to its baseline, with its target</title>',
    '<style>.group{font-weight:600}.grid{stroke:#dee2e6}.axis{fill:#495057;font-size:11px}.target{stroke:#212529;stroke-width:2.5}text{fill:#212529}</style>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="20" font-size="15" font-weight="600">ruts benchmarks: ratio to each baseline (median of interleaved rounds)</text>`,
    `<text x="8" y="38" class="axis">${escapeXml(subtitle)} · black mark = target · green met, red missed, grey no target</text>`,
    ...ticks,
    ...parts,
    `<text x="${LABEL_W}" y="${y + 32}" class="axis">ratio (throughput for speed rows, time where a row says so; bytes for memory and size rows)</text>`,
    '</svg>',
    '',
  ].join('\n');
}
