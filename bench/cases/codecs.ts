/**
 * Case 7, codecs: msgpackr (`msgpackCodec`) against JSON (`jsonCodec`), encode plus decode, on
 * a typical session object and on a 10 KB one: time (interleaved rounds) and size.
 *
 * @packageDocumentation
 */

import type { Codec } from '../../src/codecs/codec.ts';
import { jsonCodec } from '../../src/codecs/json-codec.ts';
import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';
import type { CaseContext } from '../lib/context.ts';
import { typicalSession } from '../lib/fixture.ts';
import { median, timeSync } from '../lib/harness.ts';
import { fmtInt, type Row, round3 } from '../lib/report.ts';

const GROUP = '7 codecs';

/** About 10 KB of JSON: a long cart and history on top of the typical session. */
function largeSession(): Record<string, unknown> {
  const base = typicalSession(7);
  return {
    ...base,
    cart: Array.from({ length: 60 }, (_, i) => ({
      sku: `SKU-${1000 + i}-XL`,
      qty: (i % 3) + 1,
      price: 9.99 + i,
      addedAt: 1_760_000_000_000 + i * 1000,
    })),
    recentlyViewed: Array.from({ length: 80 }, (_, i) => `product-slug-number-${i}`),
  };
}

function roundTrip(codec: Codec, value: unknown): () => unknown {
  return () => codec.decode(codec.encode(value));
}

export async function codecsCase(ctx: CaseContext): Promise<Row[]> {
  const rows: Row[] = [];
  // Two functions a round, in about the time the other cases give each member.
  const sliceMs = Math.round(ctx.timing.sliceMs / 2);
  for (const [label, value] of [
    ['typical session', typicalSession(3)],
    ['10 KB session', largeSession()],
  ] as const) {
    const json = roundTrip(jsonCodec, value);
    const pack = roundTrip(msgpackCodec, value);
    timeSync(json, sliceMs);
    timeSync(pack, sliceMs);
    const ratios: number[] = [];
    const jsonNs: number[] = [];
    const packNs: number[] = [];
    for (let round = 0; round < ctx.timing.rounds; round++) {
      const order = round % 2 === 0 ? [json, pack] : [pack, json];
      const times = new Map(order.map((fn) => [fn, timeSync(fn, sliceMs)]));
      const j = times.get(json) as number;
      const p = times.get(pack) as number;
      jsonNs.push(j);
      packNs.push(p);
      ratios.push(j / p);
    }
    const packBytes = msgpackCodec.encode(value).byteLength;
    const jsonBytes = jsonCodec.encode(value).byteLength;
    ctx.log(`codecs: ${label}`);
    rows.push(
      {
        group: GROUP,
        name: `msgpack speed, ${label}`,
        ratio: median(ratios),
        range: [Math.min(...ratios), Math.max(...ratios)],
        against: 'JSON',
        figures: `encode+decode msgpack ${(median(packNs) / 1000).toFixed(2)} µs, JSON ${(median(jsonNs) / 1000).toFixed(2)} µs`,
        raw: {
          msgpackNs: Math.round(median(packNs)),
          jsonNs: Math.round(median(jsonNs)),
          ratioPerRound: ratios.map(round3),
        },
      },
      {
        group: GROUP,
        name: `msgpack size, ${label}`,
        ratio: packBytes / jsonBytes,
        against: 'JSON bytes',
        figures: `msgpack ${fmtInt(packBytes)} B, JSON ${fmtInt(jsonBytes)} B`,
        raw: { msgpackBytes: packBytes, jsonBytes },
      },
    );
  }
  return rows;
}
