import { InvalidKeyError } from './errors.ts';

/**
 * Flash messages live beside ordinary fields under this prefix, so a flash and a field of the
 * same name never collide and `getAll()` can leave flashes out.
 */
export const FLASH_PREFIX = '@flash:';

/** In a `u` regex a surrogate pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Longest key accepted; keys travel in every store command and row. */
export const MAX_KEY_LENGTH = 256;

/** Throws {@link InvalidKeyError} unless `key` can name a session field. */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidKeyError(key, 'keys must be strings');
  if (key.length === 0) throw new InvalidKeyError(key, 'keys must not be empty');
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidKeyError(key, `keys must be at most ${MAX_KEY_LENGTH} characters`);
  }
  // Postgres text columns cannot hold NUL, so a key with one could not be stored everywhere.
  if (key.includes('\u0000')) throw new InvalidKeyError(key, 'keys must not contain NUL');
  // Stores keep names as UTF-8, which has no form for half a surrogate pair: such a key would be
  // stored as U+FFFD, and two different keys could land on one field.
  if (LONE_SURROGATE.test(key)) {
    throw new InvalidKeyError(key, 'keys must be well-formed text, without a lone surrogate');
  }
  if (key.startsWith(FLASH_PREFIX)) {
    throw new InvalidKeyError(
      key,
      `the prefix "${FLASH_PREFIX}" is reserved for flash messages; use session.flash() instead`,
    );
  }
}

/** The stored field name of a flash message. */
export function flashField(key: string): string {
  assertValidKey(key);
  return FLASH_PREFIX + key;
}

/** Whether a stored field holds a flash message. */
export function isFlashField(field: string): boolean {
  return field.startsWith(FLASH_PREFIX);
}
