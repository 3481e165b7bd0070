/**
 * What the layered store reports instead of throwing: a hot tier that fails does not fail a
 * call (revocations excepted), so its failures are told to `onEvent` rather than lost.
 *
 * @packageDocumentation
 */

/** The store method during which something happened. */
export type LayeredOperation =
  | 'getAll'
  | 'set'
  | 'setMany'
  | 'setIfAbsent'
  | 'remove'
  | 'take'
  | 'delete'
  | 'rename'
  | 'expire'
  | 'listOwned'
  | 'deleteOwned';

/**
 * A hot call that failed, or took longer than `hotTimeout`. Changes to hot are tried three
 * times, so an event may be followed by a success; a read carries on from cold. When every
 * attempt failed, another process may read the session's previous value from hot until its
 * copy's lease ends (`hotTtl`), and a revocation rejects.
 */
export interface LayeredStoreEvent {
  /** Always `'hot-error'`. */
  readonly type: 'hot-error';
  /** The store method during which it happened. */
  readonly operation: LayeredOperation;
  /** The session key concerned (a hash, never a session id). */
  readonly key: string;
  /** What the hot tier rejected with. */
  readonly error: unknown;
}

/** Receives every {@link LayeredStoreEvent}. What it throws is ignored. */
export type LayeredEventHandler = (event: LayeredStoreEvent) => void;
