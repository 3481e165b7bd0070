/**
 * Reads, and the warming they trigger. Hot answers only when its entry holds the complete
 * session; otherwise the session is read whole from cold and written to hot for the next read.
 *
 * ## The warm race
 * Warming reads cold and then writes hot. A write that lands in between (cold, then hot) would be
 * overwritten in hot by the older snapshot. Every hot write therefore replaces `~version`, and a
 * warm checks it afterwards: if it changed, the warm withdraws `~complete` and the next read
 * warms again. Warming writes with `create: false` after making sure the entry exists, so a warm
 * cannot bring back an entry that a concurrent delete or rename removed.
 *
 * @packageDocumentation
 */

import type { StoredSession } from '../../core/store-contract.ts';
import { type ColdView, readColdEntry, withHotFields } from './cold-entry.ts';
import { COMPLETE_FIELD, storedName, VERSION_FIELD } from './field-names.ts';
import {
  cachedFields,
  decodeHotValue,
  type HotView,
  hotOnlyFields,
  lookUp,
  readHotEntry,
  versionEntry,
  versionToken,
  warmEntries,
} from './hot-entry.ts';
import type { LayeredOperation } from './layered-events.ts';
import { FAILED, type Tiers } from './tiers.ts';

/**
 * How long the entry a warm creates before reading cold waits for the fill. A cold read slower
 * than this only means the warm gives up, since the fill never creates the entry itself.
 */
const WARM_WINDOW_MS = 30_000;

/** A session as warming found it in cold, and the `'hot'` fields hot holds beside it. */
export interface Warmed {
  readonly cold: ColdView;
  readonly hotFields: ReadonlyMap<string, { value: Uint8Array; ttlMs: number | null }>;
}

/** `getAll`: from hot when it holds the complete session, else from cold, warming hot. */
export async function readSession(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
): Promise<StoredSession | undefined> {
  const stored = await tiers.hot.attempt(operation, key, (hot) => hot.getAll(key));
  if (stored === FAILED) return (await readCold(tiers, operation, key))?.session;
  const view = readHotEntry(stored);
  const found = lookUp(view);
  if (found.kind === 'hit') return found.session;
  if (found.kind === 'partial') {
    // Hot is complete, but cold-only fields must come from cold; its snapshot is the truth.
    const cold = await readCold(tiers, operation, key);
    return cold && withHotFields(cold.session, hotOnlyFields(view));
  }
  const warmed = await warm(tiers, operation, key, view);
  return warmed && withHotFields(warmed.cold.session, warmed.hotFields);
}

/** `get`: one field, by the same rule as {@link readSession}. */
export async function readField(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  field: string,
): Promise<Uint8Array | undefined> {
  const name = storedName(field);
  const found = await tiers.hot.attempt(operation, key, (hot) =>
    Promise.all([hot.get(key, name), hot.get(key, COMPLETE_FIELD)]),
  );
  if (found === FAILED) return tiers.cold.call(operation, (cold) => cold.get(key, name));
  const [bytes, complete] = found;
  const stored = bytes && decodeHotValue(bytes);
  if (complete !== undefined) {
    if (stored === undefined) return undefined;
    if (stored.kind === 'copy' || stored.kind === 'hot') return stored.value;
    if (stored.kind === 'pointer') return tiers.cold.call(operation, (cold) => cold.get(key, name));
  }
  // Hot cannot vouch for the field (nor, for a 'hot' field, for the session): warm it.
  return (await readSession(tiers, operation, key))?.fields.get(field)?.value;
}

/**
 * Reads the session from cold and makes the hot entry complete. Resolves `undefined`, and
 * deletes what hot holds for the key, when cold has no live session: cold decides existence.
 */
export async function warm(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  view: HotView | undefined,
): Promise<Warmed | undefined> {
  const { hot } = tiers;
  let token = view?.version && versionToken(view.version);
  if (token === undefined) {
    // The entry must exist before cold is read, so that the fill below can refuse to create it.
    const fresh = versionEntry();
    const marked = await hot.attempt(operation, key, (store) =>
      store.set(key, fresh.entry, hot.options(true, WARM_WINDOW_MS)),
    );
    token = marked === FAILED ? undefined : fresh.token;
  }
  const cold = await readCold(tiers, operation, key);
  if (cold === undefined) {
    if (view !== undefined || token !== undefined) {
      await hot.attempt(operation, key, (store) => store.delete(key));
    }
    return undefined;
  }
  const hotFields = hotOnlyFields(view);
  if (token !== undefined) await fill(tiers, operation, key, { view, cold, hotFields, token });
  return { cold, hotFields };
}

/** Writes a cold snapshot into an existing hot entry, unless a hot write raced it. */
async function fill(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  warming: Warmed & { readonly view: HotView | undefined; readonly token: string },
): Promise<void> {
  const { hot } = tiers;
  const { view, cold, hotFields, token } = warming;
  const entries = warmEntries(cold.session, cold.coldOnly, hotFields, hot.ttlMs);
  if (entries === undefined) return;
  // Copies of fields cold no longer has can only be left over from a failure; drop them.
  const leftovers = cachedFields(view).filter((name) => !cold.session.fields.has(name));
  const filled = await hot.attempt(operation, key, async (store) => {
    await Promise.all(leftovers.map((name) => store.remove(key, storedName(name))));
    await store.setMany(key, entries, hot.options(false, cold.session.ttlMs));
    const version = await store.get(key, VERSION_FIELD);
    if (version === undefined || versionToken(version) !== token) {
      await store.remove(key, COMPLETE_FIELD);
    }
  });
  // The snapshot may be in hot without its check: it must not be trusted.
  if (filled === FAILED) await hot.invalidate(operation, key);
}

/** The session as cold holds it, bookkeeping taken out. */
export async function readCold(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
): Promise<ColdView | undefined> {
  return readColdEntry(await tiers.cold.call(operation, (cold) => cold.getAll(key)));
}
