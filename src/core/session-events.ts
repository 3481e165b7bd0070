/**
 * The lifecycle events a manager reports to the config's `onEvent`, for logs and metrics. No
 * event carries a session id, a cookie, a store key or a field's value: an event names what
 * happened, never whose session it was.
 *
 * @packageDocumentation
 */

import { ConfigError, StoreError } from './errors.ts';

/** A write started a new session, under a fresh id. */
export interface SessionCreatedEvent {
  /** Always `'created'`. */
  readonly type: 'created';
}

/** `regenerate()` moved a session to a new id. */
export interface SessionRegeneratedEvent {
  /** Always `'regenerated'`. */
  readonly type: 'regenerated';
}

/** `destroy()` (or `expire(0)`) ended a live session. */
export interface SessionDestroyedEvent {
  /** Always `'destroyed'`. */
  readonly type: 'destroyed';
}

/** A cookie that verified named a session the store no longer holds: it expired or was ended. */
export interface SessionExpiredEvent {
  /** Always `'expired'`. */
  readonly type: 'expired';
}

/**
 * Why a cookie was refused:
 * - `'malformed'`: not a seal ruts makes (wrong shape, or longer than a cookie can be);
 * - `'retired-secret'`: sealed with a secret id the config no longer lists (or never did);
 * - `'seal-expired'`: the seal's own lifetime has passed;
 * - `'bad-seal'`: well formed and current, but its HMAC or its content does not verify, as
 *   for a forged or altered cookie.
 */
export type RejectionReason = 'malformed' | 'retired-secret' | 'seal-expired' | 'bad-seal';

/** A request presented a session cookie that failed verification; it is treated as none. */
export interface SessionRejectedEvent {
  /** Always `'rejected'`. */
  readonly type: 'rejected';
  /** Why verification refused it. */
  readonly reason: RejectionReason;
}

/**
 * A stored field read as absent (or, with `onInvalid: 'throw'`, threw): its codec could not
 * decode it, or its schema refused it. Reported once per field per request.
 */
export interface InvalidFieldEvent {
  /** Always `'invalid-field'`. */
  readonly type: 'invalid-field';
  /** The session key whose stored value failed. */
  readonly key: string;
  /** `'codec'` when the bytes could not be decoded, `'schema'` when the schema refused them. */
  readonly reason: 'codec' | 'schema';
}

/** A store call failed; the caller receives a `StoreError` (or, for a read's touch, nothing). */
export interface StoreErrorEvent {
  /** Always `'store-error'`. */
  readonly type: 'store-error';
  /** The store method that failed, such as `getAll` or `rename`. */
  readonly operation: string;
  /** The failure's `code` (such as `ECONNREFUSED`) or, without one, its class name. */
  readonly error: string;
}

/**
 * A store worked around a failure rather than throwing: a `LayeredStore`'s hot tier failed or
 * timed out, and the call went on with the cold tier (see `LayeredStoreEvent`).
 */
export interface HotErrorEvent {
  /** Always `'hot-error'`. */
  readonly type: 'hot-error';
  /** The store method during which it happened. */
  readonly operation: string;
  /** The failure's `code` or, without one, its class name. */
  readonly error: string;
}

/** Every event `onEvent` receives, told apart by `type`. */
export type SessionEvent =
  | SessionCreatedEvent
  | SessionRegeneratedEvent
  | SessionDestroyedEvent
  | SessionExpiredEvent
  | SessionRejectedEvent
  | InvalidFieldEvent
  | StoreErrorEvent
  | HotErrorEvent;

/** Receives each {@link SessionEvent}. What it throws, or an async handler rejects with, is ignored. */
export type SessionEventHandler = (event: SessionEvent) => void | Promise<void>;

/** Delivers events to the handler; `undefined` without one, so unused events cost a nullish check. */
export type EmitEvent = (event: SessionEvent) => void;

/** Wraps the config's handler so that nothing it throws or rejects with reaches a request. */
export function eventEmitter(handler: SessionEventHandler | undefined): EmitEvent | undefined {
  if (handler === undefined) return undefined;
  return (event) => {
    try {
      const result = handler(event);
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // A metrics hook that fails must not fail the request it was counting.
    }
  };
}

/** Names a failure without its message, which may quote what the store was sent. */
export function errorName(error: unknown): string {
  // A store's own StoreError says only that the store failed; what failed is its cause.
  if (error instanceof StoreError && error.cause !== undefined) return errorName(error.cause);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  if (error instanceof Error) return error.name;
  return typeof error;
}

/** Checks the `onEvent` option. */
export function resolveEventHandler(handler: unknown): SessionEventHandler | undefined {
  if (handler === undefined || typeof handler === 'function') {
    return handler as SessionEventHandler | undefined;
  }
  throw new ConfigError(
    'onEvent must be a function receiving each event, such as ' +
      '(event) => logger.info(event, "session").',
  );
}
