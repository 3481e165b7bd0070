/**
 * Test doubles for the layered store's tiers: a real {@link MemoryStore} behind a Proxy that
 * counts calls and can be made to reject, all at once (a killed server) or call by call (a
 * failure part-way through an operation), before the call reaches the store or after it made
 * its change (a reply lost with the connection).
 *
 * @packageDocumentation
 */

import type { SessionStore, WriteOptions } from '../../../../src/core/store-contract.ts';
import { type FieldForm, formOf, readHotEntry } from '../../../../src/stores/layered/hot-entry.ts';
import { LayeredStore, type LayeredStoreEvent } from '../../../../src/stores/layered-store.ts';
import type { MemoryStore } from '../../../../src/stores/memory/memory-store.ts';
import { memoryStore } from '../../../support/memory-store.ts';

type Method = Exclude<keyof SessionStore, 'close'>;

/** One tier: the store to hand to the layered store, and the controls behind it. */
export interface TierDouble {
  /** What the layered store calls. */
  readonly store: SessionStore;
  /** The real store behind it, for looking at what the tier holds without counting. */
  readonly inner: MemoryStore;
  /** Calls per method since the last {@link reset}. */
  readonly calls: Partial<Record<Method, number>>;
  /** Every call from now on rejects, as a killed server's would. */
  kill(): void;
  revive(): void;
  /** Calls for which `when` returns true reject; others go through. */
  failWhen(when: (method: Method, args: readonly unknown[]) => boolean): void;
  /**
   * Calls for which `when` returns true run against the real store, then reject: the change
   * is made, but the caller is told it failed, as when a commit's reply is lost.
   */
  loseRepliesWhen(when: (method: Method, args: readonly unknown[]) => boolean): void;
  /**
   * The next call of `method` runs against the real store at once, but its result is held back
   * until `release()`: the caller sees the state from before whatever happens meanwhile.
   */
  hold(method: Method): { release(): void };
  /** Forgets the counts. */
  reset(): void;
  /** Calls to the tier since the last reset. */
  total(): number;
}

export function tierDouble(inner = memoryStore()): TierDouble {
  let killed = false;
  let when: (method: Method, args: readonly unknown[]) => boolean = () => false;
  let lost: (method: Method, args: readonly unknown[]) => boolean = () => false;
  const calls: Partial<Record<Method, number>> = {};
  const held = new Map<Method, Promise<void>>();
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver);
      if (typeof member !== 'function' || property === 'close') return member;
      const method = property as Method;
      return (...args: unknown[]) => {
        calls[method] = (calls[method] ?? 0) + 1;
        if (killed || when(method, args)) {
          return Promise.reject(new Error(`connect ECONNREFUSED (${method})`));
        }
        const result = member.apply(target, args);
        if (lost(method, args)) {
          return Promise.resolve(result).then(() => {
            throw new Error(`Connection terminated unexpectedly (${method})`);
          });
        }
        const gate = held.get(method);
        if (gate === undefined) return result;
        held.delete(method);
        return gate.then(() => result);
      };
    },
  });
  return {
    store,
    inner,
    calls,
    kill: () => {
      killed = true;
    },
    revive: () => {
      killed = false;
    },
    failWhen: (predicate) => {
      when = predicate;
    },
    loseRepliesWhen: (predicate) => {
      lost = predicate;
    },
    hold: (method) => {
      let release = () => {};
      held.set(
        method,
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      return { release: () => release() };
    },
    reset: () => {
      for (const method of Object.keys(calls)) delete calls[method as Method];
    },
    total: () => Object.values(calls).reduce((sum, count) => sum + (count ?? 0), 0),
  };
}

/** A layered store over two doubles, recording its events. */
export function layered(
  options: { hotTtl?: number; hotNow?: () => number; coldNow?: () => number } = {},
) {
  const hot = tierDouble(memoryStore({ now: options.hotNow }));
  const cold = tierDouble(memoryStore({ now: options.coldNow }));
  const events: LayeredStoreEvent[] = [];
  const store = new LayeredStore({
    hot: hot.store,
    cold: cold.store,
    hotTtl: options.hotTtl,
    onEvent: (event) => events.push(event),
  });
  return { store, hot, cold, events };
}

/** A clock tests move by hand. */
export function clock(start = 1_700_000_000_000) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes && new TextDecoder().decode(bytes);

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** Write options that create the session, with a one-day idle timeout unless told otherwise. */
export function write(extra: Partial<WriteOptions> = {}): WriteOptions {
  return { create: true, idleMs: 24 * HOUR, ...extra };
}

/** How hot keeps `field` of the session at `key`, as the layered store reads it. */
export async function hotForm(
  hot: TierDouble,
  key: string,
  field: string,
): Promise<FieldForm | undefined> {
  return formOf(readHotEntry(await hot.inner.getAll(key)), field);
}

/** Field names of a stored session, sorted. */
export function names(session: { fields: Map<string, unknown> } | undefined): string[] {
  return session ? [...session.fields.keys()].sort() : [];
}
