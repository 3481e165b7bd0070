/**
 * Writes that go to cold: `'through'` (cold, then hot) and `'cold'` (cold only, never cached).
 * Cold is written first because it is the source of truth: if it fails, the caller gets a
 * {@link StoreError} and hot is not written; since the write may have reached cold all the same,
 * hot's entry is invalidated once cold answers again (see `tiers.ts`). If hot then fails, the
 * hot entry is deleted so it cannot serve the old value, and if even that fails it is reported
 * as `hot-stale`.
 *
 * @packageDocumentation
 */

import type {
  FieldWrite,
  InsertResult,
  SessionStore,
  SessionTtl,
  WriteOptions,
} from '../../core/store-contract.ts';
import { coldEntry, coldOnlyEntries, coldOnlyMarkerEntry } from './cold-entry.ts';
import { copyEntries, pointerEntries, timingEntry, warmRacedEntry } from './hot-entry.ts';
import type { LayeredOperation } from './layered-events.ts';
import { FAILED, type Tiers } from './tiers.ts';

/**
 * Cold first, then, if cold took the write, the hot entry refreshed with what `hotFields` makes
 * of the session's new TTL. Every strategy that writes cold goes through here.
 */
async function coldThenHot(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  writeCold: (cold: SessionStore) => Promise<SessionTtl | null>,
  hotFields: (sessionTtlMs: number | null) => FieldWrite[],
): Promise<SessionTtl | null> {
  const result = await tiers.cold.change(operation, [key], writeCold);
  if (result !== null) {
    await refreshHot(tiers, operation, key, hotFields(result.ttlMs), result.ttlMs);
  }
  return result;
}

/** `'through'`: cold, then a copy in hot if hot has an entry for the session. */
export function writeThrough(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  entries: readonly FieldWrite[],
  options: WriteOptions,
): Promise<SessionTtl | null> {
  return coldThenHot(
    tiers,
    operation,
    key,
    (cold) => upsert(cold, key, entries.map(coldEntry), options),
    (ttlMs) =>
      entries.flatMap((e) => copyEntries(e.field, e.value, e.ttlMs, ttlMs, tiers.hot.ttlMs)),
  );
}

/** `'cold'`: each field with its cold-only marker, in one step; hot gets pointers only. */
export function writeCold(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  entries: readonly FieldWrite[],
  options: WriteOptions,
): Promise<SessionTtl | null> {
  return coldThenHot(
    tiers,
    operation,
    key,
    (cold) => cold.setMany(key, entries.flatMap(coldOnlyEntries), options),
    (ttlMs) => entries.flatMap((e) => pointerEntries(e.field, e.ttlMs, ttlMs, tiers.hot.ttlMs)),
  );
}

/** The conditional write in cold that every `setIfAbsent` strategy starts or falls back to. */
export function coldInsert(
  tiers: Tiers,
  key: string,
  entry: FieldWrite,
  options: WriteOptions,
): Promise<InsertResult | null> {
  return tiers.cold.change('setIfAbsent', [key], (cold) =>
    cold.setIfAbsent(key, coldEntry(entry), options),
  );
}

/** `setIfAbsent` with `'through'`: cold decides, and only a written field is copied to hot. */
export async function insertThrough(
  tiers: Tiers,
  key: string,
  entry: FieldWrite,
  options: WriteOptions,
): Promise<InsertResult | null> {
  const result = await coldInsert(tiers, key, entry, options);
  if (result?.written) {
    const { ttlMs } = result;
    const copy = copyEntries(entry.field, entry.value, entry.ttlMs, ttlMs, tiers.hot.ttlMs);
    await refreshHot(tiers, 'setIfAbsent', key, copy, ttlMs);
  }
  return result;
}

/**
 * `setIfAbsent` with `'cold'`: cold decides. The marker cannot join the conditional write, so it
 * follows it; writing it first would extend the session even when nothing is inserted.
 */
export async function insertCold(
  tiers: Tiers,
  key: string,
  entry: FieldWrite,
  options: WriteOptions,
): Promise<InsertResult | null> {
  const result = await coldInsert(tiers, key, entry, options);
  if (!result?.written) return result;
  try {
    await tiers.cold.store.set(key, coldOnlyMarkerEntry(entry), { ...options, create: false });
  } catch (error) {
    // The field is written, which is what the caller asked; it just is not marked cold-only.
    tiers.hot.emit({ type: 'cold-error', operation: 'setIfAbsent', key, error });
  }
  const pointer = pointerEntries(entry.field, entry.ttlMs, result.ttlMs, tiers.hot.ttlMs);
  await refreshHot(tiers, 'setIfAbsent', key, pointer, result.ttlMs);
  return result;
}

/**
 * Brings an existing hot entry up to date after cold changed, with `~timing`, and removes the
 * mark of any warm under way. A session hot holds nothing for is left alone: writes never warm.
 */
export async function refreshHot(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  fields: readonly FieldWrite[],
  sessionTtl: number | null,
): Promise<void> {
  const { hot } = tiers;
  const entries = [...fields, timingEntry(sessionTtl, hot.ttlMs), warmRacedEntry()];
  const written = await hot.attempt(operation, key, (store) =>
    store.setMany(key, entries, hot.options(false, sessionTtl)),
  );
  if (written === FAILED) await hot.invalidate(operation, key);
}

/** `set` for one field and `setMany` for several, as the caller asked of the layered store. */
export function upsert(
  store: SessionStore,
  key: string,
  entries: readonly FieldWrite[],
  options: WriteOptions,
): Promise<SessionTtl | null> {
  const [only] = entries;
  return entries.length === 1 && only !== undefined
    ? store.set(key, only, options)
    : store.setMany(key, entries, options);
}
