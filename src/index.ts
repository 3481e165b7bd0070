/**
 * ruts: server-side sessions whose cookie carries only a sealed id. This entry point is the
 * framework-free core; `ruts/next` adds the Next.js helpers.
 *
 * @packageDocumentation
 * @module ruts
 */

export type { Codec } from './codecs/codec.ts';
export { jsonCodec } from './codecs/json-codec.ts';
export { msgpackCodec } from './codecs/msgpack-codec.ts';
export type {
  CookieAttributes,
  CookieOptions,
  OutgoingCookie,
  ResolvedCookie,
} from './core/cookie-options.ts';
export { removalCookie, resolveCookieOptions, sessionCookie } from './core/cookie-options.ts';
export type {
  CookieSealerOptions,
  SecretInput,
  SessionLifetimes,
  VerifiedCookie,
} from './core/cookie-seal.ts';
export { CookieSealer, CookieVerifier } from './core/cookie-seal.ts';
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
} from './core/errors.ts';
export type {
  ListSessionsOptions,
  OwnedSession,
  OwnedSessions,
  RevokeSessionsOptions,
} from './core/owned-sessions.ts';
export { SchemaError } from './core/schema-error.ts';
export type {
  OpenOptions,
  RegenerateOptions,
  SessionInfo,
  SessionKey,
  SetOptions,
} from './core/session.ts';
export { Session } from './core/session.ts';
export type {
  CachedSession,
  CacheStep,
  CopyChange,
  CopyUpdate,
  SessionCache,
} from './core/session-cache.ts';
export { canCache } from './core/session-cache.ts';
export type { ResolvedSessionConfig, SessionConfig } from './core/session-config.ts';
export { DEFAULTS } from './core/session-config.ts';
export type {
  HotErrorEvent,
  InvalidFieldEvent,
  RejectionReason,
  SessionCreatedEvent,
  SessionDestroyedEvent,
  SessionEvent,
  SessionEventHandler,
  SessionExpiredEvent,
  SessionRegeneratedEvent,
  SessionRejectedEvent,
  StoreErrorEvent,
} from './core/session-events.ts';
export type { SessionManager } from './core/session-manager.ts';
export { createSessionManager } from './core/session-manager.ts';
export type { InferSession, InvalidFieldPolicy, SessionSchema } from './core/session-schema.ts';
export type { StandardSchemaV1 } from './core/standard-schema.ts';
export type {
  ExpireMode,
  FieldTtl,
  FieldWrite,
  InsertResult,
  ObservableStore,
  OwnedSessionStore,
  OwnedStoredSession,
  RenameOptions,
  RenameResult,
  SessionLimits,
  SessionStore,
  SessionTtl,
  StoredField,
  StoredSession,
  StoreEvent,
  SweepableStore,
  WriteOptions,
  WriteStrategy,
} from './core/store-contract.ts';
export { canIndexOwners, canObserve, canSweep } from './core/store-contract.ts';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory/memory-store.ts';
