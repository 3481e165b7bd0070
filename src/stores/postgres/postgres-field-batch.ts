/**
 * Turns a list of field writes into the parameters of one statement, applying the write rules
 * of the TTL model that do not need the clock: the last write of a name wins, a TTL of zero or
 * less drops the field, and the session is extended to cover the idle timeout and every TTL.
 *
 * @packageDocumentation
 */

import type { FieldWrite } from '../../core/store-contract.ts';

/** The field-batch parameters `$2..$8` described in `postgres-statements.ts`. */
export interface FieldBatch {
  readonly names: string[];
  /** Every written value, concatenated: one `bytea` parameter instead of a `bytea[]`. */
  readonly values: Uint8Array;
  /** 1-based offsets into {@link values}, as SQL's `substring` counts. */
  readonly starts: number[];
  readonly lengths: number[];
  /** Each field's own TTL in ms, or 0 when it lives as long as its session. */
  readonly ttls: number[];
  /** Fields written with a TTL of zero or less: already expired, so they are deleted. */
  readonly dropped: string[];
  /** How far the write extends the session, or `null` when it makes the session persistent. */
  readonly extendMs: number | null;
}

/**
 * How far writing `entries` extends the session: the idle timeout or the longest field TTL,
 * whichever is longer, or `null` (persistent) when any field is persistent. Every entry counts,
 * even one a later entry overwrites, as when the writes are applied one by one.
 */
export function extensionMs(entries: readonly FieldWrite[], idleMs: number): number | null {
  let extendMs = idleMs;
  for (const { ttlMs } of entries) {
    if (ttlMs === 'persistent') return null;
    if (ttlMs !== undefined && ttlMs > extendMs) extendMs = ttlMs;
  }
  return extendMs;
}

export function fieldBatch(entries: readonly FieldWrite[], idleMs: number): FieldBatch {
  const extendMs = extensionMs(entries, idleMs);
  const last = new Map<string, FieldWrite>();
  for (const entry of entries) last.set(entry.field, entry);
  const names: string[] = [];
  const kept: Uint8Array[] = [];
  const starts: number[] = [];
  const lengths: number[] = [];
  const ttls: number[] = [];
  const dropped: string[] = [];
  let offset = 1;
  for (const { field, value, ttlMs } of last.values()) {
    if (typeof ttlMs === 'number' && !(ttlMs > 0)) {
      dropped.push(field);
      continue;
    }
    names.push(field);
    kept.push(value);
    starts.push(offset);
    lengths.push(value.byteLength);
    ttls.push(typeof ttlMs === 'number' ? ttlMs : 0);
    offset += value.byteLength;
  }
  const values = new Uint8Array(offset - 1);
  let at = 0;
  for (const value of kept) {
    values.set(value, at);
    at += value.byteLength;
  }
  return { names, values, starts, lengths, ttls, dropped, extendMs };
}

/** `$1..$7` of a field batch, for `writeFields`. */
export function fieldParams(key: string, batch: FieldBatch): unknown[] {
  return [key, batch.names, batch.values, batch.starts, batch.lengths, batch.ttls, batch.dropped];
}
