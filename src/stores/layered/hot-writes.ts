/**
 * `'hot'` writes: ephemeral data (a CSRF nonce, say) that lives in hot only and never costs a
 * cold write. Cold still decides whether the session exists, so a `'hot'` write first makes sure
 * the hot entry is complete (warming it if not), and a `'hot'` write that creates a session
 * anchors it in cold. It does not extend the cold session's expiry; reads do that.
 *
 * A field moves to hot when written `'hot'`: if cold holds it, it is removed from cold first, so
 * an older cold value never reappears once the hot one is gone. When hot fails, the write falls
 * back to cold, where the value is safe, and hot is invalidated.
 *
 * @packageDocumentation
 */

import type {
  FieldWrite,
  InsertResult,
  SessionTtl,
  WriteOptions,
} from '../../core/store-contract.ts';
import { anchorEntry, coldEntry } from './cold-entry.ts';
import { storedName } from './field-names.ts';
import { cachedFields, hotOnlyEntry, isComplete, otherForms, warmRacedEntry } from './hot-entry.ts';
import type { LayeredOperation } from './layered-events.ts';
import { readHot, warm } from './reads.ts';
import { FAILED, type Failed, type Tiers } from './tiers.ts';
import { coldInsert, upsert } from './writes.ts';

/** What a `'hot'` write must know first: the cold session's TTL and where each field lives. */
interface Known {
  readonly ttlMs: number | null;
  /** Fields cold holds, as copies or cold-only. */
  readonly inCold: ReadonlySet<string>;
  /** Fields that live in hot only. */
  readonly inHot: ReadonlySet<string>;
}

/** `set` and `setMany` with `'hot'`. */
export async function writeHot(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  entries: readonly FieldWrite[],
  options: WriteOptions,
): Promise<SessionTtl | null> {
  const known = await prepare(tiers, operation, key, options);
  if (known === FAILED) return fallBack(tiers, operation, key, entries, options);
  if (known === null) return null;
  await leaveCold(tiers, operation, key, entries, known);
  const { hot } = tiers;
  const hotOptions = hot.options(true, known.ttlMs);
  // Each in its 'hot' form, removing whatever form hot kept it in before.
  const hotEntries = entries.flatMap((entry) => [
    hotOnlyEntry(entry, hotOptions.idleMs),
    ...otherForms(entry.field, 'hot'),
  ]);
  const written = await hot.attempt(operation, key, (store) =>
    store.setMany(key, [...hotEntries, warmRacedEntry()], hotOptions),
  );
  if (written === FAILED) return fallBack(tiers, operation, key, entries, options);
  return { ttlMs: known.ttlMs };
}

/** `setIfAbsent` with `'hot'`: decided in hot, after checking that cold does not hold the field. */
export async function insertHot(
  tiers: Tiers,
  key: string,
  entry: FieldWrite,
  options: WriteOptions,
): Promise<InsertResult | null> {
  const operation = 'setIfAbsent';
  const known = await prepare(tiers, operation, key, options);
  if (known === FAILED) return insertFallBack(tiers, key, entry, options);
  if (known === null) return null;
  if (known.inCold.has(entry.field) || known.inHot.has(entry.field)) {
    return { written: false, ttlMs: known.ttlMs };
  }
  const { hot } = tiers;
  const hotOptions = hot.options(true, known.ttlMs);
  const result = await hot.attempt(operation, key, (store) =>
    store.setIfAbsent(key, hotOnlyEntry(entry, hotOptions.idleMs), hotOptions),
  );
  if (result === FAILED) return insertFallBack(tiers, key, entry, options);
  return { written: result?.written === true, ttlMs: known.ttlMs };
}

/**
 * Learns the session's state from a complete hot entry, warming it if needed. `null` when the
 * session does not exist and may not be created; a session that may be created is anchored in
 * cold. {@link FAILED} when hot cannot be used.
 */
async function prepare(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  options: WriteOptions,
): Promise<Known | null | Failed> {
  const view = await readHot(tiers, operation, key);
  if (view === FAILED) return FAILED;
  if (isComplete(view)) {
    const inHot = new Set(view.hotOnly);
    const inCold = new Set(cachedFields(view));
    return { ttlMs: view.ttlMs, inCold, inHot };
  }
  const warmed = await warm(tiers, operation, key, view);
  if (warmed !== undefined) {
    return {
      ttlMs: warmed.cold.session.ttlMs,
      inCold: new Set(warmed.cold.session.fields.keys()),
      inHot: new Set(warmed.hotFields.keys()),
    };
  }
  if (!options.create) return null;
  const created = await tiers.cold.change(operation, [key], (cold) =>
    cold.set(key, anchorEntry, options),
  );
  return created && { ttlMs: created.ttlMs, inCold: new Set(), inHot: new Set() };
}

/** Removes from cold the fields this write moves to hot. */
async function leaveCold(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  entries: readonly FieldWrite[],
  known: Known,
): Promise<void> {
  const moving = entries.filter((entry) => known.inCold.has(entry.field));
  await Promise.all(
    moving.map((entry) =>
      tiers.cold.change(operation, [key], (cold) => cold.remove(key, storedName(entry.field))),
    ),
  );
}

/** Hot is down: the value goes to cold rather than nowhere, and hot must not serve an old one. */
async function fallBack(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  entries: readonly FieldWrite[],
  options: WriteOptions,
): Promise<SessionTtl | null> {
  const result = await tiers.cold.change(operation, [key], (cold) =>
    upsert(cold, key, entries.map(coldEntry), options),
  );
  await tiers.hot.invalidate(operation, key);
  return result;
}

async function insertFallBack(
  tiers: Tiers,
  key: string,
  entry: FieldWrite,
  options: WriteOptions,
): Promise<InsertResult | null> {
  const result = await coldInsert(tiers, key, entry, options);
  if (result?.written) await tiers.hot.invalidate('setIfAbsent', key);
  return result;
}
