/**
 * Reads, and the warming they trigger. Hot answers only when its entry holds the complete
 * session; otherwise the session is read whole from cold and written to hot for the next read.
 *
 * ## The warm race
 * Warming reads cold and then writes hot. A write that lands in between (cold, then hot) would be
 * overwritten in hot by the older snapshot. So a warm first marks the entry with `~warming` and a
 * token of its own, every hot write removes that mark, and the warm takes the mark back after
 * writing its snapshot: if it is gone or not its own, the warm withdraws `~complete` and the next
 * read warms again. The mark is written only where absent, so while one warm is under way the
 * others answer from cold and leave hot to it; and taking it leaves nothing behind in an entry
 * that is then only read. Warming writes with `create: false` after the mark made sure the entry
 * exists, so a warm cannot bring back an entry that a concurrent delete or rename removed.
 *
 * @packageDocumentation
 */

import type { StoredSession } from '../../core/store-contract.ts';
import { type ColdView, readColdEntry, withHotFields } from './cold-entry.ts';
import { COMPLETE_FIELD, storedName, WARMING_FIELD } from './field-names.ts';
import {
  formOf,
  type HotView,
  hotOnlyFields,
  isComplete,
  lookUp,
  readHotEntry,
  warmEntries,
  warmingEntry,
  warmingToken,
} from './hot-entry.ts';
import type { LayeredOperation } from './layered-events.ts';
import { FAILED, type Failed, type Tiers } from './tiers.ts';

/**
 * How long a warm's mark, and the entry it may create, wait for the fill. A cold read slower than
 * this only means the warm may be taken over (see {@link abandoned}), or gives up, since the fill
 * never creates the entry itself; a warm that never finishes holds up the next no longer.
 */
const WARM_WINDOW_MS = 30_000;

/** A session as warming found it in cold, and the `'hot'` fields hot holds beside it. */
export interface Warmed {
  readonly cold: ColdView;
  readonly hotFields: ReadonlyMap<string, { value: Uint8Array; ttlMs: number | null }>;
}

/** The hot entry for `key`, decoded, or {@link FAILED} when hot cannot be used. */
export function readHot(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
): Promise<HotView | undefined | Failed> {
  return tiers.hot.attempt(operation, key, (hot) => hot.getAll(key).then(readHotEntry));
}

/** `getAll`: from hot when it holds the complete session, else from cold, warming hot. */
export async function readSession(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
): Promise<StoredSession | undefined> {
  const view = await readHot(tiers, operation, key);
  if (view === FAILED) return (await readCold(tiers, operation, key))?.session;
  const found = lookUp(view);
  // A hit, on every request, resolves without another async step.
  return found.kind === 'hit' ? found.session : fromCold(tiers, operation, key, view, found.kind);
}

/** The session when the hot entry `view` cannot answer alone: from cold, warming hot on a miss. */
async function fromCold(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  view: HotView | undefined,
  lookup: 'partial' | 'miss',
): Promise<StoredSession | undefined> {
  if (lookup === 'partial') {
    // Hot is complete, but cold-only fields must come from cold; its snapshot is the truth.
    const cold = await readCold(tiers, operation, key);
    return cold && withHotFields(cold.session, hotOnlyFields(view));
  }
  const warmed = await warm(tiers, operation, key, view);
  return warmed && withHotFields(warmed.cold.session, warmed.hotFields);
}

/**
 * `get`: one field, by the same rule as {@link readSession}. The whole hot entry is read, in one
 * call: whether it is complete depends on when its `~complete` began, and only a read of the
 * entry reports the hot store's clock.
 */
export async function readField(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  field: string,
): Promise<Uint8Array | undefined> {
  const name = storedName(field);
  const view = await readHot(tiers, operation, key);
  if (view === FAILED) return tiers.cold.call(operation, (cold) => cold.get(key, name));
  if (isComplete(view) && view.lookup !== 'miss') {
    if (formOf(view, field) === 'pointer') {
      return tiers.cold.call(operation, (cold) => cold.get(key, name));
    }
    return view.fields.get(field)?.value;
  }
  // Hot cannot vouch for the field (nor, for a 'hot' field, for the session): warm it.
  return (await fromCold(tiers, operation, key, view, 'miss'))?.fields.get(field)?.value;
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
  // Before cold is read, on the hot clock: the entry's creation when hot had none.
  const since = view?.readAt ?? Number.NaN;
  // The entry must exist before cold is read, so that the fill below can refuse to create it.
  const mark = warmingEntry(since);
  const marked = await hot.attempt(operation, key, (store) =>
    store.setIfAbsent(key, mark.entry, hot.options(true, WARM_WINDOW_MS)),
  );
  let token = marked !== FAILED && marked?.written ? mark.token : undefined;
  if (token === undefined && marked !== FAILED && abandoned(view)) {
    // The mark of a warm that never finished (its process died): this warm takes over.
    const replaced = await hot.attempt(operation, key, (store) =>
      store.set(key, mark.entry, hot.options(false, WARM_WINDOW_MS)),
    );
    if (replaced !== FAILED && replaced !== null) token = mark.token;
  }
  // Still none: another warm is under way, and it fills the entry.
  let cold: ColdView | undefined;
  try {
    cold = await readCold(tiers, operation, key);
  } catch (error) {
    // No fill will take the mark, and it would hold up every warm for the warm window.
    if (token !== undefined) await hot.attempt(operation, key, (s) => s.remove(key, WARMING_FIELD));
    throw error;
  }
  if (cold === undefined) {
    if (view !== undefined || marked !== FAILED) {
      await hot.attempt(operation, key, (store) => store.delete(key));
    }
    return undefined;
  }
  const hotFields = hotOnlyFields(view);
  if (token !== undefined) {
    await fill(tiers, operation, key, { view, cold, hotFields, token, since });
  }
  return { cold, hotFields };
}

/** Whether the entry's mark, as `view` saw it, is older than any warm still under way. */
function abandoned(view: HotView | undefined): boolean {
  const age = view?.warmingAge;
  return age !== undefined && !(age >= 0 && age < WARM_WINDOW_MS);
}

/** Writes a cold snapshot into an existing hot entry, unless a hot write raced it. */
async function fill(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  warming: Warmed & {
    readonly view: HotView | undefined;
    readonly token: string;
    readonly since: number;
  },
): Promise<void> {
  const { hot } = tiers;
  const { view, cold, token, since } = warming;
  const entries = warmEntries(cold.session, cold.coldOnly, view, hot.ttlMs, since);
  if (entries === undefined) return;
  const filled = await hot.attempt(operation, key, async (store) => {
    await store.setMany(key, entries, hot.options(false, cold.session.ttlMs));
    const taken = await store.take(key, WARMING_FIELD);
    if (taken === undefined || warmingToken(taken) !== token) {
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
