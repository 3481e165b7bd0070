/**
 * Operations that remove or move data: `take`, `remove`, `delete`, `rename` and `expire`.
 *
 * Cold is the source of truth, so cold goes first. If hot then fails, its entry is invalidated
 * (deleted); if that fails too, the entry is reported as `hot-stale`. Either way the result is
 * cold's.
 *
 * If cold fails, the change may have reached it all the same (see `tiers.ts`). `take`, `remove`
 * and `expire` leave hot serving the session until cold answers again, then invalidate it
 * (an `'extend'` not even that: a longer life in cold cannot make hot's copy wrong). `delete`,
 * `rename` and an `expire` to zero end the session under its key, so they invalidate hot at
 * once: a session the caller asked to end, maybe ended already, must not stay readable from hot
 * through an outage. It is then unreadable until cold is back, which costs nothing the caller
 * still wanted.
 *
 * `'hot'` fields are the exception: they live nowhere else, so `take` and `remove` act on them
 * in hot, once a complete entry (or a warm) has confirmed that cold still holds the session.
 *
 * @packageDocumentation
 */

import type {
  ExpireMode,
  FieldTtl,
  RenameOptions,
  RenameResult,
  SessionTtl,
} from '../../core/store-contract.ts';
import { coldEntry, coldOnlyEntries } from './cold-entry.ts';
import { COMPLETE_FIELD, storedName } from './field-names.ts';
import {
  copyEntries,
  formOf,
  hotOnlyName,
  isComplete,
  otherForms,
  pointerEntries,
  timingEntry,
  warmRacedEntry,
} from './hot-entry.ts';
import type { LayeredOperation } from './layered-events.ts';
import { readHot, readSession } from './reads.ts';
import { FAILED, type Tiers } from './tiers.ts';

/** Where hot says a field lives, or `FAILED`. `absent` is certain only in a complete entry. */
type Located = 'absent' | 'hot' | 'elsewhere' | typeof FAILED;

/**
 * `take`: exactly once across tiers. A `'hot'` field is taken from hot, anything else from
 * cold; each store's own `take` is atomic, and a value only ever lives in one of them.
 */
export async function take(
  tiers: Tiers,
  key: string,
  field: string,
): Promise<Uint8Array | undefined> {
  const operation = 'take';
  const taken = await takeHotOnly(tiers, operation, key, field);
  if (taken !== undefined) return taken.value;
  const value = await tiers.cold.change(operation, [key], (cold) =>
    cold.take(key, storedName(field)),
  );
  if (value !== undefined) await dropFromHot(tiers, operation, key, field);
  return value;
}

/** `remove`: a `'hot'` field from hot; anything else from cold, then from hot. */
export async function remove(tiers: Tiers, key: string, field: string): Promise<boolean> {
  const operation = 'remove';
  const taken = await takeHotOnly(tiers, operation, key, field);
  if (taken !== undefined) return taken.value !== undefined;
  const removed = await tiers.cold.change(operation, [key], (cold) =>
    cold.remove(key, storedName(field)),
  );
  if (removed) await dropFromHot(tiers, operation, key, field);
  return removed;
}

/** `delete`: cold, then hot; hot at once if cold fails. */
export async function deleteSession(tiers: Tiers, key: string): Promise<boolean> {
  const deleted = await tiers.cold.change('delete', [key], (cold) => cold.delete(key), 'now');
  await tiers.hot.invalidate('delete', key);
  return deleted;
}

/**
 * `rename`: cold decides (`missing`, `collision` or `renamed`); then hot's entry, `'hot'` fields
 * included, follows it to the new key. `set` fields must land atomically with the move, which
 * only cold can promise, so with `'hot'` they are written through.
 */
export async function rename(
  tiers: Tiers,
  from: string,
  to: string,
  options: RenameOptions,
): Promise<RenameResult> {
  const operation = 'rename';
  const coldOnly = options.write === 'cold';
  const set = options.set ?? [];
  const coldSet = coldOnly ? set.flatMap(coldOnlyEntries) : set.map(coldEntry);
  // A failed rename may have moved the session: the old id must not stay readable from hot.
  const result = await tiers.cold.change(
    operation,
    [from, to],
    (cold) => cold.rename(from, to, { ...options, set: coldSet }),
    'now',
  );
  if (result.status !== 'renamed') return result;
  const { hot } = tiers;
  const { ttlMs } = result;
  const hotSet = [
    ...set.flatMap((e) =>
      coldOnly
        ? pointerEntries(e.field, e.ttlMs, ttlMs, hot.ttlMs)
        : copyEntries(e.field, e.value, e.ttlMs, ttlMs, hot.ttlMs),
    ),
    timingEntry(ttlMs, hot.ttlMs),
    warmRacedEntry(),
  ];
  const moved = await moveHotEntry(tiers, from, to, {
    set: hotSet,
    idleMs: hot.options(false, ttlMs).idleMs,
  });
  if (!moved) {
    await hot.invalidate(operation, from);
    await hot.invalidate(operation, to);
  }
  return result;
}

/** Moves the hot entry after cold renamed the session. Resolves whether hot kept up. */
async function moveHotEntry(
  tiers: Tiers,
  from: string,
  to: string,
  options: RenameOptions,
): Promise<boolean> {
  const { hot } = tiers;
  if (!(await hot.ready('rename', to))) return false;
  const moved = await hot.attempt('rename', from, async (store) => {
    let outcome = await store.rename(from, to, options);
    // Cold had no live session at `to`, so whatever hot holds there is left over.
    if (outcome.status === 'collision') {
      await store.delete(to);
      outcome = await store.rename(from, to, options);
    }
    if (outcome.status !== 'renamed') await Promise.all([store.delete(from), store.delete(to)]);
  });
  return moved !== FAILED;
}

/**
 * `expire`: cold decides. `'extend'` updates the TTL hot reports; `'set'` may end the session
 * sooner than hot's copies would, so the entry stops being complete and the next read warms it
 * afresh; a `'set'` that deleted the session deletes the entry.
 */
export async function expire(
  tiers: Tiers,
  key: string,
  ttlMs: FieldTtl,
  mode: ExpireMode,
): Promise<SessionTtl | null> {
  const operation = 'expire';
  const ends = mode === 'set' && typeof ttlMs === 'number' && ttlMs <= 0;
  // An 'extend' that may have happened leaves hot reporting a shorter life than cold's, which
  // only makes its entry leave hot sooner: not worth a warm once cold is back.
  const ifUnsure = ends ? 'now' : mode === 'extend' ? 'never' : 'later';
  const result = await tiers.cold.change(
    operation,
    [key],
    (cold) => cold.expire(key, ttlMs, mode),
    ifUnsure,
  );
  if (result === null) return null;
  const { hot } = tiers;
  if (ends) {
    await hot.invalidate(operation, key);
    return result;
  }
  const updated = await hot.attempt(operation, key, async (store) => {
    if (mode === 'extend') {
      await store.set(key, timingEntry(result.ttlMs, hot.ttlMs), hot.options(false, result.ttlMs));
    } else {
      await store.remove(key, COMPLETE_FIELD);
    }
  });
  if (updated === FAILED) await hot.invalidate(operation, key);
  return result;
}

/**
 * Takes a `'hot'` field from hot. Resolves `{ value }` when the field was `'hot'` (`value` is
 * `undefined` if the session turned out to be gone), or `undefined` when the caller must go to
 * cold.
 */
async function takeHotOnly(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  field: string,
): Promise<{ value: Uint8Array | undefined } | undefined> {
  const where = await locate(tiers, operation, key, field);
  if (where === 'absent') return { value: undefined };
  if (where !== 'hot') return undefined;
  const name = hotOnlyName(field);
  const taken = await tiers.hot.attempt(operation, key, (hot) => hot.take(key, name));
  if (taken === FAILED) return undefined;
  if (taken !== undefined) return { value: taken };
  // Gone since it was located: taken by another call, or written anew, and then the value is
  // cold's, so cold takes it.
  return (await locate(tiers, operation, key, field)) === 'elsewhere'
    ? undefined
    : { value: undefined };
}

/**
 * Where a field lives, by hot's account; a `'hot'` field only counts if cold has its session.
 * The whole entry is read: only that tells whether it is still complete (see `reads.ts`).
 */
async function locate(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  field: string,
): Promise<Located> {
  const view = await readHot(tiers, operation, key);
  if (view === FAILED) return FAILED;
  const complete = isComplete(view);
  const kind = formOf(view, field);
  if (kind === 'hot') {
    if (complete) return 'hot';
    // Hot cannot vouch for the session: let a read (and its warm) confirm it in cold.
    return (await readSession(tiers, operation, key)) === undefined ? 'absent' : 'hot';
  }
  return complete && kind === undefined ? 'absent' : 'elsewhere';
}

/**
 * Drops a field that cold no longer holds from hot, in one step with the removal of any warm's
 * mark, so a warm that read cold before the change cannot go on to write the field back
 * unnoticed.
 */
async function dropFromHot(
  tiers: Tiers,
  operation: LayeredOperation,
  key: string,
  field: string,
): Promise<void> {
  const { hot } = tiers;
  // Removals only: an idle timeout of nothing leaves the entry's expiry where it was.
  const removals = [warmRacedEntry(), ...otherForms(field)];
  const dropped = await hot.attempt(operation, key, (store) =>
    store.setMany(key, removals, hot.options(false, 0)),
  );
  if (dropped === FAILED) await hot.invalidate(operation, key);
}
