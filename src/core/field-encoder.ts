import type { Codec } from '../codecs/codec.ts';
import { CodecError, InvalidTtlError, ValueTooLargeError } from './errors.ts';
import { assertValidKey } from './field-keys.ts';
import type { ResolvedSessionConfig } from './session-config.ts';
import type { FieldTtl, FieldWrite } from './store-contract.ts';

/**
 * The longest numeric TTL accepted: 100 years. Longer ones overflow database intervals and mean
 * "never" anyway, which is what `'persistent'` says.
 */
export const MAX_TTL_SECONDS = 100 * 365 * 24 * 60 * 60;

/** Converts a public TTL in seconds to the store's milliseconds, rejecting nonsense. */
export function toStoreTtl(ttl: number | 'persistent' | undefined): FieldTtl | undefined {
  if (ttl === undefined || ttl === 'persistent') return ttl;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
    throw new InvalidTtlError(ttl);
  }
  return Math.max(1, Math.round(ttl * 1000));
}

/** A field's own TTL as the snapshot tracks it: ms, or `null` when it has none to count down. */
export function fieldTtl(ttl: FieldTtl | undefined): number | null {
  return typeof ttl === 'number' ? ttl : null;
}

/**
 * Turns values into store entries and back with each field's codec. Every failure is thrown
 * before the store is touched and names the key, so a bad value never costs data.
 */
export class FieldEncoder {
  constructor(
    private readonly config: Pick<ResolvedSessionConfig, 'codec' | 'codecs' | 'maxValueBytes'>,
  ) {}

  /**
   * Encodes `value` for `key`. `field` is the stored name when it differs from the key, as for
   * flash messages, which share their key's codec.
   */
  encode(
    key: string,
    value: unknown,
    ttl: number | 'persistent' | undefined,
    field: string = key,
  ): FieldWrite {
    assertValidKey(key);
    const codec = this.codecFor(key);
    let bytes: Uint8Array;
    try {
      bytes = codec.encode(value);
    } catch (error) {
      throw new CodecError(key, codec.name, 'encode', error);
    }
    if (bytes.byteLength > this.config.maxValueBytes) {
      throw new ValueTooLargeError(key, bytes.byteLength, this.config.maxValueBytes);
    }
    return { field, value: bytes, ttlMs: toStoreTtl(ttl) };
  }

  decode(key: string, bytes: Uint8Array): unknown {
    const codec = this.codecFor(key);
    try {
      return codec.decode(bytes);
    } catch (error) {
      throw new CodecError(key, codec.name, 'decode', error);
    }
  }

  private codecFor(key: string): Codec {
    // Own keys only: `codecs` is a plain object, so `codecs.constructor` or `codecs.__proto__`
    // would find Object.prototype's members and fields with those names could not be written.
    const own = Object.hasOwn(this.config.codecs, key) ? this.config.codecs[key] : undefined;
    return own ?? this.config.codec;
  }
}
