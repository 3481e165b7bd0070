/**
 * What the layered store reports instead of throwing: a hot tier that fails never fails a call,
 * so its failures are told to `onEvent` rather than lost.
 *
 * @packageDocumentation
 */

/** The store method during which something happened. */
export type LayeredOperation =
  | 'get'
  | 'getAll'
  | 'set'
  | 'setMany'
  | 'setIfAbsent'
  | 'remove'
  | 'take'
  | 'delete'
  | 'rename'
  | 'expire'
  | 'sweep';

/**
 * Something the layered store worked around.
 *
 * - `hot-error`: a call to the hot tier rejected. The operation carried on from cold, and its
 *   result is correct; only speed (and `'hot'` data, which lives nowhere else) was lost.
 * - `hot-stale`: after cold changed, the hot entry could be neither updated nor deleted, so other
 *   processes may read the old data from it until it expires (at most the hot TTL). This process
 *   bypasses that entry and keeps trying to delete it. Also reported, with the cold failure as
 *   `error`, for a key this process forgot: during a cold outage it remembers up to 10 000 keys
 *   whose changes failed, and may have reached cold all the same, to invalidate once cold answers
 *   again; beyond that the oldest are forgotten and served from hot until they expire. Flush
 *   the hot tier after an outage to be sure.
 * - `cold-error`: a cold step that the result does not depend on failed, and the call resolved
 *   anyway. The one such step marks a field inserted with `'cold'` as cold-only; without the
 *   mark the field is cached in hot like any other.
 */
export interface LayeredStoreEvent {
  /** The kind of event, as the list above describes. */
  readonly type: 'hot-error' | 'hot-stale' | 'cold-error';
  /** The store method during which it happened. */
  readonly operation: LayeredOperation;
  /** The session key concerned (a hash, never a session id); empty for `sweep`. */
  readonly key: string;
  /** What the tier rejected with. */
  readonly error: unknown;
}

/** Receives every {@link LayeredStoreEvent}. What it throws is ignored. */
export type LayeredEventHandler = (event: LayeredStoreEvent) => void;
