/**
 * A bounded memory of cookie seals that already passed verification, so that a repeat visitor's
 * cookie costs a map lookup instead of an HMAC and a decryption.
 *
 * @packageDocumentation
 */

import type { SessionLifetimes } from './cookie-payload.ts';
import { ConfigError } from './errors.ts';

/** What a verified seal stands for. */
export interface VerifiedSeal {
  /** The session id inside the seal. */
  readonly id: string;
  /** The store key, `hashSessionId(id)`. */
  readonly key: string;
  /** The id of the secret that verified the seal, so rotation can revoke it. */
  readonly secretId: string;
  /** When the seal expires, in epoch milliseconds; `Infinity` if it never does. */
  readonly expiresAt: number;
  /** The session's own lifetimes sealed with the id, if any. */
  readonly lifetimes?: SessionLifetimes;
}

interface Slot {
  entry: VerifiedSeal;
  /** The value of the cache's counter when the slot last moved to the back. */
  stamp: number;
}

/**
 * A bounded map from sealed strings to what they verified as, evicting roughly the least recently
 * used. A Map iterates in insertion order, so the first key is the one to evict and moving an
 * entry means deleting and re-inserting it.
 *
 * Moving on every hit would make a hit cost O(size): V8 keeps deleted entries in the hash chain
 * until it rehashes, so a hot seal moved again and again walks a growing chain (measured at about
 * 37 µs per hit with 10,000 entries). A hit therefore moves an entry only once it has fallen into
 * the older half, which keeps hits at a plain lookup while an entry used at least once per
 * `maxEntries / 2` insertions is never evicted.
 */
export class SealCache {
  readonly #slots = new Map<string, Slot>();
  readonly #maxEntries: number;
  #counter = 0;

  /** @param maxEntries The most seals kept; 0 keeps none. */
  constructor(maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) {
      throw new ConfigError(
        `cacheSize must be a whole number of 0 or more, got ${String(maxEntries)}. ` +
          'Leave it unset for the default of 10000, or pass 0 to turn the cache off.',
      );
    }
    this.#maxEntries = maxEntries;
  }

  /** The entry for `sealed` if present and not expired at `now`; an expired entry is dropped. */
  get(sealed: string, now: number): VerifiedSeal | undefined {
    const slot = this.#slots.get(sealed);
    if (slot === undefined) return undefined;
    if (slot.entry.expiresAt <= now) {
      this.#slots.delete(sealed);
      return undefined;
    }
    if (this.#counter - slot.stamp > this.#maxEntries / 2) {
      this.#slots.delete(sealed);
      slot.stamp = ++this.#counter;
      this.#slots.set(sealed, slot);
    }
    return slot.entry;
  }

  /** Remembers `sealed`, evicting the least recently used entry when full. */
  set(sealed: string, entry: VerifiedSeal): void {
    if (this.#maxEntries === 0) return;
    this.#slots.delete(sealed);
    this.#slots.set(sealed, { entry, stamp: ++this.#counter });
    if (this.#slots.size > this.#maxEntries) {
      const oldest = this.#slots.keys().next();
      if (oldest.done !== true) this.#slots.delete(oldest.value);
    }
  }

  /** Forgets `sealed`; returns whether it was there. */
  delete(sealed: string): boolean {
    return this.#slots.delete(sealed);
  }

  /** How many seals are remembered. */
  get size(): number {
    return this.#slots.size;
  }
}
