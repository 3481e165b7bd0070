import type { Codec } from '../codecs/codec.ts';
import { msgpackCodec } from '../codecs/msgpack-codec.ts';
import { type CookieOptions, type ResolvedCookie, resolveCookieOptions } from './cookie-options.ts';
import type { SecretInput } from './cookie-seal.ts';
import { ConfigError } from './errors.ts';
import { resolveEventHandler, type SessionEventHandler } from './session-events.ts';
import {
  type InvalidFieldPolicy,
  resolveInvalidFieldPolicy,
  resolveSchema,
  type SessionSchema,
} from './session-schema.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';
import type { SessionLimits, SessionStore } from './store-contract.ts';

/** Every default in one place. Durations are seconds. */
export const DEFAULTS = {
  /** Two weeks of inactivity ends a session. */
  idleTimeout: 14 * 24 * 60 * 60,
  /** Reads extend the idle timeout at most once an hour (or a tenth of the timeout, if less). */
  touchAfterCap: 60 * 60,
  /** Encoded size limit of one value: sessions are read whole on every request. */
  maxValueBytes: 64 * 1024,
  /** Fields one session may hold. */
  maxFields: 256,
  /** Bytes one session may hold, names and encoded values together. */
  maxSessionBytes: 1024 * 1024,
} as const;

/**
 * Configuration shared by the session handle, the Next.js helpers and the guards.
 *
 * @typeParam T the shape of the session's data, so that `session.get('cart')` is typed
 */
export interface SessionConfig<T extends object = Record<string, unknown>> {
  /**
   * Seals the cookie. A string of at least 32 characters, or `{ [id]: secret }` to rotate keys:
   * the highest numeric id seals new cookies, every listed id still opens old ones, and removing
   * an id invalidates its cookies.
   * @example { 1: process.env.SESSION_SECRET_OLD!, 2: process.env.SESSION_SECRET! }
   */
  secret: SecretInput;
  /** Where session data lives, such as `new MemoryStore()`. */
  store: SessionStore;
  /** Cookie options; the defaults are the secure ones. */
  cookie?: CookieOptions;
  /**
   * Seconds of inactivity after which a session ends. Every write extends it; reads extend it
   * too, at most once per `touchAfter`.
   * @default 1_209_600 (14 days)
   */
  idleTimeout?: number;
  /**
   * Seconds after creation after which a session ends however active it is. Nothing outlives
   * it, not even persistent fields. `regenerate()` keeps the original creation time.
   * @default undefined (no absolute limit)
   */
  absoluteTimeout?: number;
  /**
   * How stale the idle timeout may become before a read extends it, in seconds. Reads that
   * find the session fresher than this cost no write.
   * @default the lesser of one hour and a tenth of `idleTimeout`
   */
  touchAfter?: number;
  /**
   * The codec for fields without one of their own.
   * @default msgpackCodec
   */
  codec?: Codec;
  /**
   * Per-field codecs, for fields that other programs read (JSON) or that need a custom format.
   * @example { preferences: jsonCodec }
   */
  // NoInfer: the session type is inferred from `schema`, never from the codecs' keys.
  codecs?: { [K in keyof NoInfer<T>]?: Codec };
  /**
   * A Standard Schema v1 validator (zod, valibot, arktype...) per session key. Writes of a
   * value it refuses throw `SchemaError` and write nothing; a stored value it refuses reads as
   * absent (see `onInvalid`). Given without a type argument, it types the session.
   * @example { cart: z.array(z.string()), userId: z.string() }
   */
  schema?: SessionSchema<T>;
  /**
   * What a read does with a stored value that its codec cannot decode or its schema refuses:
   * `'drop'` reads it as absent, leaving the rest of the session readable; `'throw'` throws
   * `CodecError` or `SchemaError`. Either way an `invalid-field` event is reported.
   * @default 'drop'
   */
  onInvalid?: InvalidFieldPolicy;
  /**
   * Receives lifecycle events (sessions created, regenerated, destroyed and expired, cookies
   * rejected, invalid fields, store failures), for logs and metrics. No event carries a session
   * id, a cookie or a value. What it throws is ignored. Unset, events cost nothing.
   * @example (event) => counter.add(1, { type: event.type })
   */
  onEvent?: SessionEventHandler;
  /**
   * Largest encoded value accepted by `set`, in bytes. Larger values fail with
   * `ValueTooLargeError` before anything is written.
   * @default 65_536
   */
  maxValueBytes?: number;
  /**
   * Most fields one session may hold. The store checks it atomically with each write; a write
   * that would pass it fails with `SessionTooLargeError` and writes nothing.
   * @default 256
   */
  maxFields?: number;
  /**
   * Most bytes one session may hold: its fields' names and encoded values together. Checked
   * like `maxFields`.
   * @default 1_048_576 (1 MiB)
   */
  maxSessionBytes?: number;
  /**
   * How many verified cookies to remember so that repeat requests skip the unseal's crypto.
   * @default 10_000
   */
  sealCacheSize?: number;
}

/** A {@link SessionConfig} with defaults applied, in the units the handle works in. */
export interface ResolvedSessionConfig {
  /** Where session data lives. */
  store: SessionStore;
  /** The cookie's name as sent, its attributes and how long its seal stays valid. */
  cookie: ResolvedCookie;
  /** The idle timeout, in milliseconds. */
  idleMs: number;
  /** The absolute timeout, in milliseconds; `undefined` when there is none. */
  absoluteMs: number | undefined;
  /** How stale the idle timeout may become before a read extends it, in milliseconds. */
  touchAfterMs: number;
  /** The codec for fields without one of their own. */
  codec: Codec;
  /** Per-field codecs, by session key. */
  codecs: Readonly<Record<string, Codec | undefined>>;
  /** Largest encoded value accepted by `set`, in bytes. */
  maxValueBytes: number;
  /** The bounds every write asks the store to keep. */
  limits: SessionLimits;
  /** Validators by session key; empty without a schema. */
  schema: Readonly<Record<string, StandardSchemaV1 | undefined>>;
  /** What a read does with a stored value that fails its codec or its schema. */
  onInvalid: InvalidFieldPolicy;
  /** The lifecycle event handler, if any. */
  onEvent: SessionEventHandler | undefined;
}

function positiveSeconds(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive number of seconds (got ${String(value)}).`);
  }
  return value;
}

/** Applies defaults and validates everything except the secret (the sealer validates that). */
export function resolveSessionConfig<T extends object>(
  config: SessionConfig<T>,
): ResolvedSessionConfig {
  if (!config || typeof config !== 'object') {
    throw new ConfigError('createSessions() needs a config object with `secret` and `store`.');
  }
  if (!config.store || typeof config.store.getAll !== 'function') {
    throw new ConfigError(
      'config.store is missing or is not a session store. Pass one, such as `new MemoryStore()`.',
    );
  }
  const idle = positiveSeconds('idleTimeout', config.idleTimeout) ?? DEFAULTS.idleTimeout;
  const absolute = positiveSeconds('absoluteTimeout', config.absoluteTimeout);
  const touchAfter =
    positiveSeconds('touchAfter', config.touchAfter) ?? Math.min(DEFAULTS.touchAfterCap, idle / 10);
  const maxValueBytes = positiveWhole('maxValueBytes', config.maxValueBytes, 'bytes');
  const limits = {
    maxFields: positiveWhole('maxFields', config.maxFields, 'fields'),
    maxSessionBytes: positiveWhole('maxSessionBytes', config.maxSessionBytes, 'bytes'),
  };
  return {
    store: config.store,
    cookie: resolveCookieOptions(config.cookie, absolute),
    idleMs: Math.round(idle * 1000),
    absoluteMs: absolute === undefined ? undefined : Math.round(absolute * 1000),
    touchAfterMs: Math.round(touchAfter * 1000),
    codec: config.codec ?? msgpackCodec,
    codecs: (config.codecs ?? {}) as Record<string, Codec | undefined>,
    maxValueBytes,
    limits,
    schema: resolveSchema(config.schema),
    onInvalid: resolveInvalidFieldPolicy(config.onInvalid),
    onEvent: resolveEventHandler(config.onEvent),
  };
}

function positiveWhole(
  name: 'maxValueBytes' | 'maxFields' | 'maxSessionBytes',
  value: number | undefined,
  unit: string,
): number {
  const resolved = value ?? DEFAULTS[name];
  if (!Number.isInteger(resolved) || resolved <= 0) {
    throw new ConfigError(
      `${name} must be a positive whole number of ${unit} (got ${String(value)}). ` +
        `Leave it out for the default of ${DEFAULTS[name]}.`,
    );
  }
  return resolved;
}
