/**
 * `ruts/next`: sessions for the Next.js App Router. The edge-runtime guard is a separate entry,
 * `ruts/next/edge`, so that middleware bundles never pull in the store or the codecs.
 *
 * @packageDocumentation
 * @module ruts/next
 */

export type { CookieOptions } from '../core/cookie-options.ts';
export {
  CodecError,
  ConfigError,
  InvalidKeyError,
  InvalidLifetimeError,
  InvalidOwnerError,
  InvalidTtlError,
  ReadOnlySessionError,
  RutsError,
  type RutsErrorCode,
  SessionCollisionError,
  SessionTooLargeError,
  StoreError,
  ValueTooLargeError,
} from '../core/errors.ts';
export type {
  ListSessionsOptions,
  OwnedSession,
  OwnedSessions,
  RevokeSessionsOptions,
} from '../core/owned-sessions.ts';
export { SchemaError } from '../core/schema-error.ts';
export type {
  RegenerateOptions,
  Session,
  SessionInfo,
  SessionKey,
  SetOptions,
} from '../core/session.ts';
export type { SessionConfig } from '../core/session-config.ts';
export type {
  RejectionReason,
  SessionEvent,
  SessionEventHandler,
} from '../core/session-events.ts';
export type { InferSession, InvalidFieldPolicy, SessionSchema } from '../core/session-schema.ts';
export { createSessions, type SessionRouteHandler, type Sessions } from './create-sessions.ts';
export type { Guard, GuardOptions } from './guard-response.ts';
