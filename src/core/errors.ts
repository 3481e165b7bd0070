/**
 * Every error ruts throws is a {@link RutsError}. Each one says what went wrong and what to do
 * about it, and carries a stable `code` so callers can branch without matching message text.
 *
 * @packageDocumentation
 */

/** Stable machine-readable codes, one per error class. */
export type RutsErrorCode =
  | 'RUTS_CONFIG'
  | 'RUTS_READ_ONLY'
  | 'RUTS_INVALID_KEY'
  | 'RUTS_CODEC'
  | 'RUTS_VALUE_TOO_LARGE'
  | 'RUTS_SESSION_TOO_LARGE'
  | 'RUTS_STORE'
  | 'RUTS_COLLISION'
  | 'RUTS_INVALID_TTL'
  | 'RUTS_INVALID_OWNER'
  | 'RUTS_INVALID_LIFETIME'
  | 'RUTS_SCHEMA';

/** Marks ruts errors, whichever copy of the library made them. */
const BRAND = Symbol.for('ruts.error');

/**
 * Base class of every error thrown by ruts.
 *
 * `instanceof` also recognises errors made by another copy of ruts. Next.js can load one module
 * once per layer (Server Components, Route Handlers), so a store kept on `globalThis` may throw
 * the classes of a copy other than the caller's. Such an error is an instance of `RutsError`, and
 * of the subclass whose `code` it carries.
 */
export class RutsError extends Error {
  /** The code of this class's errors; `undefined` on `RutsError` itself, which matches them all. */
  static readonly code: RutsErrorCode | undefined = undefined;

  /** Stable code for programmatic handling. */
  readonly code: RutsErrorCode;

  constructor(code: RutsErrorCode, message: string, options?: { cause?: unknown }) {
    super(`ruts: ${message}`, options);
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * Makes `instanceof` recognise errors from another copy of ruts too: `value` matches when it is
   * a ruts error and, on a subclass, carries that subclass's `code`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class right of instanceof, maybe a subclass
    return isInstance(this, value);
  }
}

function isInstance(type: typeof RutsError, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(type, value)) return true;
  if (typeof value !== 'object' || value === null || !(BRAND in value)) return false;
  return type.code === undefined || (value as { code?: unknown }).code === type.code;
}

/** The configuration cannot work: a weak secret, a cookie option browsers refuse, a bad timeout. */
export class ConfigError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_CONFIG';
  constructor(message: string) {
    super('RUTS_CONFIG', message);
  }
}

/**
 * A write was attempted where cookies cannot be set. Next.js renders Server Components without
 * the ability to set cookies, and may render them more than once, so writes belong elsewhere.
 */
export class ReadOnlySessionError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_READ_ONLY';
  /** The handle method that was called, such as `set` or `destroy`. */
  readonly operation: string;

  constructor(operation: string, context = 'a Server Component') {
    super(
      'RUTS_READ_ONLY',
      `session.${operation}() was called from ${context}, where the session is read-only. ` +
        'Move the write into a Server Action or a Route Handler.',
    );
    this.operation = operation;
  }
}

/** A session key is empty, not a string, or uses the prefix ruts reserves for flash messages. */
export class InvalidKeyError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_INVALID_KEY';
  /** The key as passed, which may not be a string. */
  readonly key: unknown;

  constructor(key: unknown, reason: string) {
    super('RUTS_INVALID_KEY', `invalid session key ${JSON.stringify(String(key))}: ${reason}`);
    this.key = key;
  }
}

/** A value could not be encoded, or stored bytes could not be decoded, by the field's codec. */
export class CodecError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_CODEC';
  /** The session key whose value failed. */
  readonly key: string;
  /** The codec's name, such as `msgpack` or `json`. */
  readonly codec: string;

  constructor(key: string, codec: string, direction: 'encode' | 'decode', cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'RUTS_CODEC',
      direction === 'encode'
        ? `the ${codec} codec cannot encode the value of "${key}": ${detail}. ` +
            'Store plain data (objects, arrays, strings, numbers, booleans, null' +
            (codec === 'json' ? '' : ', Date, Map, Set, BigInt') +
            ') or give this key a codec that supports it.'
        : `the stored value of "${key}" cannot be decoded with the ${codec} codec: ${detail}. ` +
            'Was it written with a different codec? Remove the key or restore its codec.',
      { cause },
    );
    this.key = key;
    this.codec = codec;
  }
}

/** An encoded value is larger than `maxValueBytes`. */
export class ValueTooLargeError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_VALUE_TOO_LARGE';
  /** The session key whose value was refused. */
  readonly key: string;
  /** The value's encoded size, in bytes. */
  readonly bytes: number;
  /** The `maxValueBytes` it exceeded. */
  readonly limit: number;

  constructor(key: string, bytes: number, limit: number) {
    super(
      'RUTS_VALUE_TOO_LARGE',
      `the value of "${key}" encodes to ${bytes} bytes, over the limit of ${limit}. ` +
        'Store a smaller value (or a reference to it), or raise `maxValueBytes`.',
    );
    this.key = key;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * A write would take the session past `maxFields` or `maxSessionBytes`. The store refused it
 * whole: nothing of it was written, and the session is as it was.
 */
export class SessionTooLargeError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_SESSION_TOO_LARGE';
  /** The limit the write would have passed. */
  readonly limit: 'maxFields' | 'maxSessionBytes';
  /** That limit's value. */
  readonly max: number;
  /** The session key written (the first, when the write had several). */
  readonly key: string;

  constructor(limit: 'maxFields' | 'maxSessionBytes', max: number, keys: readonly string[]) {
    const key = keys[0] ?? '';
    const more = keys.length > 1 ? ` (and ${keys.length - 1} more)` : '';
    super(
      'RUTS_SESSION_TOO_LARGE',
      `writing "${key}"${more} would take the session past ${limit} (${max}` +
        `${limit === 'maxFields' ? ' fields' : ' bytes'}); nothing was written. Remove keys the ` +
        `session no longer needs, store large data elsewhere and keep a reference, or raise ${limit}.`,
    );
    this.limit = limit;
    this.max = max;
    this.key = key;
  }
}

/** The store failed. The original driver error is kept as `cause`; no data was assumed written. */
export class StoreError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_STORE';
  /** The store operation that failed, such as `set` or `rename`. */
  readonly operation: string;

  constructor(operation: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'RUTS_STORE',
      `the session store failed during ${operation}: ${detail}. ` +
        `Check that the store is reachable; ${outcomeOf(operation)}.`,
      { cause },
    );
    this.operation = operation;
  }
}

/** A rename would have overwritten another live session. Renames never merge. */
export class SessionCollisionError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_COLLISION';
  constructor() {
    super(
      'RUTS_COLLISION',
      'regenerate() produced an id that already exists in the store; nothing was changed. ' +
        'Retry the request; if this repeats, the store is returning wrong results.',
    );
  }
}

/** A TTL that is not a positive number of seconds or `'persistent'`. */
export class InvalidTtlError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_INVALID_TTL';
  constructor(ttl: unknown) {
    super(
      'RUTS_INVALID_TTL',
      `ttl must be a positive number of seconds, at most 100 years, or 'persistent' ` +
        `(got ${String(ttl)}). ` +
        'To remove a field use session.remove(); to end the session use session.destroy().',
    );
  }
}

/** An owner that is not a string of 1 to 256 characters. */
export class InvalidOwnerError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_INVALID_OWNER';
  constructor(owner: unknown) {
    const got = typeof owner === 'string' ? `a string of ${owner.length} characters` : typeof owner;
    super(
      'RUTS_INVALID_OWNER',
      `an owner must be a string of 1 to ${MAX_OWNER_LENGTH} characters, got ${got}. ` +
        "Pass the signed-in user's id, such as regenerate({ owner: user.id }).",
    );
  }
}

/** Longest owner accepted: it is stored with every session it owns. */
export const MAX_OWNER_LENGTH = 256;

/** `owner`, once it is a string of 1 to 256 characters; throws {@link InvalidOwnerError} else. */
export function checkedOwner(owner: unknown): string {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > MAX_OWNER_LENGTH) {
    throw new InvalidOwnerError(owner);
  }
  return owner;
}

/** A `maxAge` or `idleTimeout` given to `regenerate()` that cannot work; nothing was changed. */
export class InvalidLifetimeError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_INVALID_LIFETIME';
  /** The option refused. */
  readonly option: 'maxAge' | 'idleTimeout';
  /** The value as passed. */
  readonly value: unknown;

  /** @param detail what was wrong and what to pass instead */
  constructor(option: 'maxAge' | 'idleTimeout', value: unknown, detail: string) {
    super(
      'RUTS_INVALID_LIFETIME',
      `regenerate({ ${option}: ${String(value)} }) was refused and nothing was changed: ${detail}`,
    );
    this.option = option;
    this.value = value;
  }
}

/** What a failed call leaves behind, by its operation's name (`get on the cold tier`, `set`...). */
function outcomeOf(operation: string): string {
  if (operation.startsWith('get')) return 'nothing was read';
  if (operation.startsWith('sweep')) return 'expired sessions stay until a sweep succeeds';
  return 'the change was not confirmed, so it may or may not have been applied';
}
