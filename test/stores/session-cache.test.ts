/**
 * The session cache conformance suite: the same cases for every {@link SessionCache}, so the hot
 * tier of a `LayeredStore` behaves alike on `MemoryStore` and `RedisStore`. Caches run with the
 * real clock (Redis keeps time on the server), so lease cases use leases of tens to hundreds of
 * milliseconds and real sleeps. Every test works on fresh random keys.
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CachedSession, CacheStep, SessionCache } from '../../src/core/session-cache.ts';
import type { FieldTtl, StoredField, StoredSession } from '../../src/core/store-contract.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { memoryStore } from '../support/memory-store.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from './redis/redis-test-server.ts';

/** What a cache's setup hands the suite. */
interface CacheContext {
  readonly cache: SessionCache;
  /** Runs once after the suite, to close what setup opened. */
  readonly teardown?: () => Promise<void>;
}

/** A lease no test outlives unless it means to. */
const LEASE = 60_000;
/** A lease meant to run out during a test. */
const SHORT = 80;
/** Outlasts {@link SHORT} with room for latency and timer drift. */
const PAST_SHORT = 2 * SHORT;
/** How far below the asked-for TTL a reported TTL may be, after round trips to a real server. */
const LATENCY = 1_500;
/** A creation time, on the source's clock: the cache keeps it as it is. */
const CREATED_AT = 1_700_000_000_123;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fresh key of the production shape `<family>.<hash>`, of `sibling`'s family if given. */
function newKey(sibling?: string): string {
  const family = sibling?.split('.')[0] ?? `fam${randomBytes(3).toString('hex').slice(0, 5)}`;
  return `${family}.${randomBytes(16).toString('hex')}`;
}

/** A fresh token, as the layered store picks them. */
function newToken(): string {
  return randomBytes(12).toString('hex');
}

function step(expected: string, next: string, leaseMs = LEASE): CacheStep {
  return { expected, next, leaseMs };
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Hex makes byte comparisons exact, independent of Buffer vs Uint8Array. */
function hex(value: Uint8Array | undefined): string | undefined {
  return value && Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}

/** A copy as the source would report it: `fields` maps names to text values and field TTLs. */
function session(
  fields: Record<string, string | [value: string, ttlMs: number]>,
  lifetimes: { ttlMs?: number | null; maxTtlMs?: number | null } = {},
): StoredSession {
  const map = new Map<string, StoredField>();
  for (const [name, field] of Object.entries(fields)) {
    const [value, ttlMs] = typeof field === 'string' ? [field, null] : field;
    map.set(name, { value: utf8(value), ttlMs });
  }
  return {
    fields: map,
    ttlMs: lifetimes.ttlMs === undefined ? 30_000 : lifetimes.ttlMs,
    maxTtlMs: lifetimes.maxTtlMs ?? null,
    createdAt: CREATED_AT,
  };
}

function local(field: string, value: string, ttlMs?: FieldTtl) {
  return { field, value: utf8(value), ...(ttlMs === undefined ? {} : { ttlMs }) };
}

/** Names of a field map, sorted. */
function names(fields: ReadonlyMap<string, unknown> | undefined): string[] {
  return fields ? [...fields.keys()].sort() : [];
}

/** Text values of a field map, by name. */
function texts(fields: ReadonlyMap<string, StoredField> | undefined): Record<string, string> {
  // fromEntries defines own properties, so a field named __proto__ stays plain data.
  const decoder = new TextDecoder();
  return Object.fromEntries(
    [...(fields ?? [])].map(([name, f]) => [name, decoder.decode(f.value)]),
  );
}

/** Text values of a map of bytes, such as `CopyUpdate.removed`, by name. */
function decoded(values: ReadonlyMap<string, Uint8Array>): Record<string, string> {
  const decoder = new TextDecoder();
  return Object.fromEntries([...values].map(([name, value]) => [name, decoder.decode(value)]));
}

/** A reported TTL is a number no larger than asked for, and not much smaller. */
function expectTtl(ttl: number | null | undefined, asked: number): void {
  expect(ttl).toBeTypeOf('number');
  expect(ttl).toBeLessThanOrEqual(asked);
  expect(ttl).toBeGreaterThan(asked - LATENCY);
}

/**
 * Registers the session cache suite for one implementation.
 *
 * @param name - Shown in the test report.
 * @param setup - Runs once before the suite. The cache it returns is shared by every test.
 */
function describeCacheConformance(name: string, setup: () => Promise<CacheContext>): void {
  describe(`${name} meets the session cache contract`, () => {
    let context: CacheContext | undefined;
    const cache = (): SessionCache => {
      if (context === undefined) throw new Error('the cache setup has not run');
      return context.cache;
    };
    beforeAll(async () => {
      context = await setup();
    });
    afterAll(async () => {
      await context?.teardown?.();
    });

    /** Every read of `key` over 200 ms, one each 5 ms. */
    async function readsFor200Ms(key: string): Promise<CachedSession[]> {
      const seen: CachedSession[] = [];
      const until = Date.now() + 200;
      while (Date.now() < until) {
        seen.push(await cache().readCopy(key));
        await sleep(5);
      }
      return seen;
    }

    /** Fills a fresh key (expecting '') and resolves it with the token installed. */
    async function filled(
      copy: StoredSession = session({ a: 'A' }),
      leaseMs = LEASE,
    ): Promise<{ key: string; token: string }> {
      const key = newKey();
      const token = newToken();
      expect(await cache().fillCopy(key, copy, step('', token, leaseMs))).toBe(true);
      return { key, token };
    }

    describe('readCopy', () => {
      it('reads an unknown key as token "" with no copy and no local fields', async () => {
        const read = await cache().readCopy(newKey());
        expect(read.token).toBe('');
        expect(read.copy).toBeUndefined();
        expect(read.local.size).toBe(0);
      });
    });

    describe('fillCopy', () => {
      it('stores the copy with its fields, lifetimes and creation time when expecting "" of an unknown key, and installs next', async () => {
        const key = newKey();
        const next = newToken();
        const copy = session(
          { plain: 'P', short: ['S', 20_000] },
          { ttlMs: 30_000, maxTtlMs: 50_000 },
        );
        expect(await cache().fillCopy(key, copy, step('', next))).toBe(true);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(next);
        expect(read.copy?.createdAt).toBe(CREATED_AT);
        expectTtl(read.copy?.ttlMs, 30_000);
        expectTtl(read.copy?.maxTtlMs, 50_000);
        expect(texts(read.copy?.fields)).toEqual({ plain: 'P', short: 'S' });
        expect(read.copy?.fields.get('plain')?.ttlMs).toBeNull();
        expectTtl(read.copy?.fields.get('short')?.ttlMs, 20_000);
        expect(read.local.size).toBe(0);
      });

      it('keeps a persistent session persistent and a session without a deadline without one', async () => {
        const { key } = await filled(session({ a: 'A' }, { ttlMs: null, maxTtlMs: null }));
        const read = await cache().readCopy(key);
        expect(read.copy?.ttlMs).toBeNull();
        expect(read.copy?.maxTtlMs).toBeNull();
        expect(texts(read.copy?.fields)).toEqual({ a: 'A' });
      });

      it('refuses a fill with a stale expected and leaves the copy and token as they were', async () => {
        const { key, token } = await filled(session({ a: 'first' }));
        const other = session({ b: 'second' });
        expect(await cache().fillCopy(key, other, step('', newToken()))).toBe(false);
        expect(await cache().fillCopy(key, other, step('not-the-token', newToken()))).toBe(false);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(token);
        expect(texts(read.copy?.fields)).toEqual({ a: 'first' });
      });

      it('replaces the whole copy when the fill expects the current token', async () => {
        const { key, token } = await filled(session({ a: 'first', gone: 'G' }, { ttlMs: 30_000 }));
        const next = newToken();
        const refill = session({ a: 'second', b: 'B' }, { ttlMs: 10_000, maxTtlMs: 20_000 });
        expect(await cache().fillCopy(key, refill, step(token, next))).toBe(true);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(next);
        expect(texts(read.copy?.fields)).toEqual({ a: 'second', b: 'B' });
        expectTtl(read.copy?.ttlMs, 10_000);
        expectTtl(read.copy?.maxTtlMs, 20_000);
      });
    });

    describe('updateCopy', () => {
      it('applies sets, removes and the new ttl with the current token, and installs next', async () => {
        const { key, token } = await filled(
          session({ a: 'A', b: 'B', c: 'C' }, { ttlMs: 30_000, maxTtlMs: 50_000 }),
        );
        const next = newToken();
        const update = await cache().updateCopy(
          key,
          {
            set: [local('a', 'A2'), local('d', 'D', 20_000), local('e', 'E', 'persistent')],
            remove: ['b', 'absent'],
            ttlMs: 40_000,
          },
          step(token, next),
        );
        expect(update.applied).toBe(true);
        expect(update.removed.size).toBe(0);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(next);
        expect(texts(read.copy?.fields)).toEqual({ a: 'A2', c: 'C', d: 'D', e: 'E' });
        expect(read.copy?.fields.get('a')?.ttlMs).toBeNull();
        expectTtl(read.copy?.fields.get('d')?.ttlMs, 20_000);
        expect(read.copy?.fields.get('e')?.ttlMs).toBeNull();
        expectTtl(read.copy?.ttlMs, 40_000);
        expectTtl(read.copy?.maxTtlMs, 50_000);
        expect(read.copy?.createdAt).toBe(CREATED_AT);
      });

      it('leaves the ttl alone when the change has none, and makes the copy persistent with null', async () => {
        const { key, token } = await filled(session({ a: 'A' }, { ttlMs: 30_000 }));
        const second = newToken();
        const first = await cache().updateCopy(
          key,
          { set: [local('b', 'B')] },
          step(token, second),
        );
        expect(first.applied).toBe(true);
        expectTtl((await cache().readCopy(key)).copy?.ttlMs, 30_000);
        const third = newToken();
        const persistent = await cache().updateCopy(key, { ttlMs: null }, step(second, third));
        expect(persistent.applied).toBe(true);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(third);
        expect(read.copy?.ttlMs).toBeNull();
        expect(texts(read.copy?.fields)).toEqual({ a: 'A', b: 'B' });
      });

      it('drops the copy with any other token but still installs next, so a fill expecting the old token is refused', async () => {
        const { key, token } = await filled(session({ a: 'A' }));
        const next = newToken();
        const update = await cache().updateCopy(
          key,
          { set: [local('a', 'A2')] },
          step('stale', next),
        );
        expect(update.applied).toBe(false);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(next);
        expect(read.copy).toBeUndefined();
        expect(await cache().fillCopy(key, session({ a: 'old' }), step(token, newToken()))).toBe(
          false,
        );
        expect(await cache().fillCopy(key, session({ a: 'old' }), step('', newToken()))).toBe(
          false,
        );
        const refill = newToken();
        expect(await cache().fillCopy(key, session({ a: 'new' }), step(next, refill))).toBe(true);
        expect(texts((await cache().readCopy(key)).copy?.fields)).toEqual({ a: 'new' });
      });

      it('drops the copy when expecting "" of a key that holds one', async () => {
        const { key } = await filled(session({ a: 'A' }));
        const next = newToken();
        const update = await cache().updateCopy(key, { ttlMs: 10_000 }, step('', next));
        expect(update.applied).toBe(false);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(next);
        expect(read.copy).toBeUndefined();
      });

      it('is not applied on a key without a copy, yet installs next there', async () => {
        const key = newKey();
        const next = newToken();
        const update = await cache().updateCopy(key, { set: [local('a', 'A')] }, step('', next));
        expect(update.applied).toBe(false);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(next);
        expect(read.copy).toBeUndefined();
        expect(await cache().fillCopy(key, session({ a: 'A' }), step('', newToken()))).toBe(false);
      });

      it('removes local fields named by set or remove, and reports the live local values remove removed', async () => {
        const { key, token } = await filled(session({ c: 'C' }));
        const entries = [
          local('x', 'X'),
          local('y', 'Y'),
          local('z', 'Z', 20_000),
          local('w', 'W'),
        ];
        expect((await cache().writeLocal(key, entries, false))?.written).toBe(true);
        const next = newToken();
        const update = await cache().updateCopy(
          key,
          { set: [local('x', 'X2')], remove: ['y', 'z', 'never-local'] },
          step(token, next),
        );
        expect(update.applied).toBe(true);
        expect(decoded(update.removed)).toEqual({ y: 'Y', z: 'Z' });
        const read = await cache().readCopy(key);
        expect(texts(read.local)).toEqual({ w: 'W' });
        expect(texts(read.copy?.fields)).toEqual({ c: 'C', x: 'X2' });
      });

      it('removes the named local fields even when the token is stale and the copy is dropped', async () => {
        const { key } = await filled(session({ c: 'C' }));
        await cache().writeLocal(key, [local('x', 'X'), local('y', 'Y'), local('w', 'W')], false);
        const update = await cache().updateCopy(
          key,
          { set: [local('x', 'X2')], remove: ['y'] },
          step('stale', newToken()),
        );
        expect(update.applied).toBe(false);
        expect(decoded(update.removed)).toEqual({ y: 'Y' });
        const read = await cache().readCopy(key);
        expect(read.copy).toBeUndefined();
        expect(texts(read.local)).toEqual({ w: 'W' });
      });

      it('does not report a local field that had already expired as removed', async () => {
        const { key, token } = await filled(session({ c: 'C' }));
        await cache().writeLocal(key, [local('brief', 'B', 30), local('kept', 'K')], false);
        await sleep(PAST_SHORT);
        const update = await cache().updateCopy(
          key,
          { remove: ['brief', 'kept'] },
          step(token, newToken()),
        );
        expect(update.applied).toBe(true);
        expect(names(update.removed)).toEqual(['kept']);
        expect((await cache().readCopy(key)).local.size).toBe(0);
      });
    });

    describe('writeLocal', () => {
      it('resolves null and writes nothing without a live copy', async () => {
        const unknown = newKey();
        expect(await cache().writeLocal(unknown, [local('l', 'L')], false)).toBeNull();
        expect(await cache().writeLocal(unknown, [local('l', 'L')], true)).toBeNull();
        expect((await cache().readCopy(unknown)).local.size).toBe(0);

        // A key with a token but no copy: dropped by a stale update, or evicted.
        const { key } = await filled(session({ a: 'A' }));
        await cache().updateCopy(key, {}, step('stale', newToken()));
        expect(await cache().writeLocal(key, [local('l', 'L')], false)).toBeNull();
        const evicted = newKey();
        await cache().evict(evicted, newToken(), LEASE);
        expect(await cache().writeLocal(evicted, [local('l', 'L')], false)).toBeNull();
        expect((await cache().readCopy(key)).local.size).toBe(0);
        expect((await cache().readCopy(evicted)).local.size).toBe(0);
      });

      it("writes local fields that read back beside the copy, and reports the session's remaining life", async () => {
        const { key, token } = await filled(session({ a: 'A' }, { ttlMs: 30_000 }));
        const written = await cache().writeLocal(
          key,
          [local('l1', 'L1'), local('l2', 'L2', 10_000), local('l3', 'L3', 'persistent')],
          false,
        );
        expect(written?.written).toBe(true);
        expectTtl(written?.ttlMs, 30_000);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(token);
        expect(texts(read.copy?.fields)).toEqual({ a: 'A' });
        expect(texts(read.local)).toEqual({ l1: 'L1', l2: 'L2', l3: 'L3' });
        expect(read.local.get('l1')?.ttlMs).toBeNull();
        expectTtl(read.local.get('l2')?.ttlMs, 10_000);
        expect(read.local.get('l3')?.ttlMs).toBeNull();

        const persistent = await filled(session({ a: 'A' }, { ttlMs: null }));
        const reply = await cache().writeLocal(persistent.key, [local('l', 'L')], false);
        expect(reply).toEqual({ written: true, ttlMs: null });
      });

      it('overwrites a local field written again, with its new ttl', async () => {
        const { key } = await filled();
        await cache().writeLocal(key, [local('l', 'one', 10_000)], false);
        await cache().writeLocal(key, [local('l', 'two')], false);
        const read = await cache().readCopy(key);
        expect(texts(read.local)).toEqual({ l: 'two' });
        expect(read.local.get('l')?.ttlMs).toBeNull();
      });

      it('keeps local fields when the copy is refilled, and when a stale update drops it', async () => {
        const { key, token } = await filled(session({ a: 'A' }));
        await cache().writeLocal(key, [local('l', 'L'), local('m', 'M', 20_000)], false);
        const refilled = newToken();
        expect(await cache().fillCopy(key, session({ b: 'B' }), step(token, refilled))).toBe(true);
        let read = await cache().readCopy(key);
        expect(texts(read.copy?.fields)).toEqual({ b: 'B' });
        expect(texts(read.local)).toEqual({ l: 'L', m: 'M' });
        expectTtl(read.local.get('m')?.ttlMs, 20_000);

        const dropped = newToken();
        await cache().updateCopy(key, { remove: ['b'] }, step('stale', dropped));
        read = await cache().readCopy(key);
        expect(read.copy).toBeUndefined();
        expect(texts(read.local)).toEqual({ l: 'L', m: 'M' });
        expect(await cache().fillCopy(key, session({ c: 'C' }), step(dropped, newToken()))).toBe(
          true,
        );
        read = await cache().readCopy(key);
        expect(texts(read.copy?.fields)).toEqual({ c: 'C' });
        expect(texts(read.local)).toEqual({ l: 'L', m: 'M' });
      });

      it('with ifAbsent, refuses a field present locally or in the copy, and writes one absent from both', async () => {
        const { key } = await filled(session({ inCopy: 'C' }, { ttlMs: 30_000 }));
        await cache().writeLocal(key, [local('inLocal', 'L')], false);

        const localHit = await cache().writeLocal(key, [local('inLocal', 'other')], true);
        expect(localHit?.written).toBe(false);
        expectTtl(localHit?.ttlMs, 30_000);
        const copyHit = await cache().writeLocal(key, [local('inCopy', 'other')], true);
        expect(copyHit?.written).toBe(false);
        expectTtl(copyHit?.ttlMs, 30_000);
        const fresh = await cache().writeLocal(key, [local('fresh', 'F')], true);
        expect(fresh?.written).toBe(true);
        expectTtl(fresh?.ttlMs, 30_000);

        const read = await cache().readCopy(key);
        expect(texts(read.copy?.fields)).toEqual({ inCopy: 'C' });
        expect(texts(read.local)).toEqual({ inLocal: 'L', fresh: 'F' });
      });

      it('with limits, refuses local fields that would take the copy and the local fields past one, writing none', async () => {
        const { key } = await filled(session({ a: 'A', b: 'B' }));
        const limits = { maxFields: 3, maxSessionBytes: 10 };
        await cache().writeLocal(key, [local('c', 'C')], false, limits);
        await expect(
          cache().writeLocal(key, [local('d', 'D')], false, limits),
        ).rejects.toMatchObject({ code: 'RUTS_SESSION_TOO_LARGE', limit: 'maxFields', key: 'd' });
        // A local field over a copy field of the same name counts once, at its own size.
        await cache().writeLocal(key, [local('a', 'Z')], false, limits);
        await expect(
          cache().writeLocal(key, [local('a', 'ZZZZZZ')], false, limits),
        ).rejects.toMatchObject({ limit: 'maxSessionBytes', max: 10 });
        const read = await cache().readCopy(key);
        expect(texts(read.local)).toEqual({ a: 'Z', c: 'C' });
      });

      it('with ifAbsent, counts an expired local field as absent', async () => {
        const { key } = await filled();
        await cache().writeLocal(key, [local('brief', 'old', 30)], false);
        await sleep(PAST_SHORT);
        expect((await cache().writeLocal(key, [local('brief', 'new')], true))?.written).toBe(true);
        const read = await cache().readCopy(key);
        expect(texts(read.local)).toEqual({ brief: 'new' });
        expect(read.local.get('brief')?.ttlMs).toBeNull();
      });
    });

    describe('evict', () => {
      it('drops the copy and local fields and installs next, so a fill expecting "" is refused', async () => {
        const { key } = await filled(session({ a: 'A' }));
        await cache().writeLocal(key, [local('l', 'L')], false);
        const next = newToken();
        await cache().evict(key, next, LEASE);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(next);
        expect(read.copy).toBeUndefined();
        expect(read.local.size).toBe(0);
        expect(await cache().fillCopy(key, session({ a: 'stale' }), step('', newToken()))).toBe(
          false,
        );
        expect(await cache().fillCopy(key, session({ a: 'fresh' }), step(next, newToken()))).toBe(
          true,
        );
        const refilled = await cache().readCopy(key);
        expect(texts(refilled.copy?.fields)).toEqual({ a: 'fresh' });
        expect(refilled.local.size).toBe(0);
      });

      it('with moveTo, moves the local fields to the other key of the family', async () => {
        const { key } = await filled(session({ a: 'A' }));
        await cache().writeLocal(key, [local('l', 'L'), local('m', 'M', 20_000)], false);
        const to = newKey(key);
        const next = newToken();
        await cache().evict(key, next, LEASE, to);

        const from = await cache().readCopy(key);
        expect(from.token).toBe(next);
        expect(from.copy).toBeUndefined();
        expect(from.local.size).toBe(0);

        let moved = await cache().readCopy(to);
        expect(moved.copy).toBeUndefined();
        expect(texts(moved.local)).toEqual({ l: 'L', m: 'M' });
        expect(moved.local.get('l')?.ttlMs).toBeNull();
        expectTtl(moved.local.get('m')?.ttlMs, 20_000);

        // The other key's token is its own: a fill of it as read succeeds, and keeps the fields.
        expect(await cache().fillCopy(to, session({ a: 'A' }), step(moved.token, newToken()))).toBe(
          true,
        );
        moved = await cache().readCopy(to);
        expect(texts(moved.copy?.fields)).toEqual({ a: 'A' });
        expect(texts(moved.local)).toEqual({ l: 'L', m: 'M' });
      });

      it('with moveTo onto a key holding a live copy, reads the moved fields beside that copy', async () => {
        const { key } = await filled(session({ a: 'A' }));
        await cache().writeLocal(key, [local('l', 'L')], false);
        const to = newKey(key);
        expect(await cache().fillCopy(to, session({ b: 'B' }), step('', newToken()))).toBe(true);
        await cache().evict(key, newToken(), LEASE, to);
        const moved = await cache().readCopy(to);
        expect(texts(moved.copy?.fields)).toEqual({ b: 'B' });
        expect(texts(moved.local)).toEqual({ l: 'L' });
      });

      it('with moveTo and no local fields, leaves the other key as it was', async () => {
        const { key } = await filled(session({ a: 'A' }));
        const to = newKey(key);
        await cache().evict(key, newToken(), LEASE, to);
        const other = await cache().readCopy(to);
        expect(other.token).toBe('');
        expect(other.copy).toBeUndefined();
        expect(other.local.size).toBe(0);
      });
    });

    describe('lease', () => {
      it('stops returning the copy once leaseMs has passed', async () => {
        const { key } = await filled(session({ a: 'A' }, { ttlMs: 30_000 }), SHORT);
        expect((await cache().readCopy(key)).copy).toBeDefined();
        await sleep(PAST_SHORT);
        const read = await cache().readCopy(key);
        expect(read.copy).toBeUndefined();
        expect(await cache().writeLocal(key, [local('l', 'L')], false)).toBeNull();
        const update = await cache().updateCopy(key, {}, step(read.token, newToken()));
        expect(update.applied).toBe(false);
        expect((await cache().readCopy(key)).copy).toBeUndefined();
      });

      it("ends the lease at a field's own ttl when shorter, never returning the copy without that field", async () => {
        const copy = session({ brief: ['B', 60], long: 'L' }, { ttlMs: 30_000 });
        const { key } = await filled(copy, 10 * SHORT);
        const seen = await readsFor200Ms(key);
        const copies = seen.filter((read) => read.copy !== undefined);
        expect(copies.length).toBeGreaterThan(0);
        for (const read of copies) expect(names(read.copy?.fields)).toEqual(['brief', 'long']);
        expect(seen.at(-1)?.copy).toBeUndefined();
      });

      it('ends the lease at a field ttl that updateCopy sets, never returning the copy without that field', async () => {
        const { key, token } = await filled(session({ long: 'L' }, { ttlMs: 30_000 }), 10 * SHORT);
        const update = await cache().updateCopy(
          key,
          { set: [local('brief', 'B', 60)] },
          step(token, newToken(), 10 * SHORT),
        );
        expect(update.applied).toBe(true);
        const seen = await readsFor200Ms(key);
        const copies = seen.filter((read) => read.copy !== undefined);
        expect(copies.length).toBeGreaterThan(0);
        for (const read of copies) expect(names(read.copy?.fields)).toEqual(['brief', 'long']);
        expect(seen.at(-1)?.copy).toBeUndefined();
      });

      it("ends the lease at the session's end when sooner", async () => {
        const { key } = await filled(session({ a: 'A' }, { ttlMs: 60 }), LEASE);
        const { key: capped } = await filled(
          session({ a: 'A' }, { ttlMs: 30_000, maxTtlMs: 60 }),
          LEASE,
        );
        await sleep(PAST_SHORT + 40);
        expect((await cache().readCopy(key)).copy).toBeUndefined();
        expect((await cache().readCopy(capped)).copy).toBeUndefined();
      });

      it('is never extended by updateCopy, whatever its leaseMs, fields or ttl', async () => {
        const lease = 2 * SHORT;
        const { key, token } = await filled(session({ a: 'A' }, { ttlMs: 30_000 }), lease);
        await sleep(SHORT);
        const next = newToken();
        const update = await cache().updateCopy(
          key,
          { set: [local('b', 'B')], ttlMs: 60_000 },
          step(token, next, LEASE),
        );
        expect(update.applied).toBe(true);
        expect(texts((await cache().readCopy(key)).copy?.fields)).toEqual({ a: 'A', b: 'B' });
        await sleep(lease - SHORT + 60);
        const read = await cache().readCopy(key);
        expect(read.copy).toBeUndefined();
        // The update's token outlives the copy: it was installed for LEASE.
        expect(read.token).toBe(next);
      });
    });

    describe('tokens', () => {
      it('keeps a token evict installed for leaseMs with no copy, so a fill expecting "" is refused within it', async () => {
        const key = newKey();
        const next = newToken();
        await cache().evict(key, next, 4 * SHORT);
        await sleep(SHORT);
        const read = await cache().readCopy(key);
        expect(read.token).toBe(next);
        expect(read.copy).toBeUndefined();
        expect(await cache().fillCopy(key, session({ a: 'A' }), step('', newToken()))).toBe(false);
      });

      it('keeps the token a stale update installed for leaseMs, with no copy', async () => {
        const { key } = await filled(session({ a: 'A' }), SHORT);
        const next = newToken();
        await cache().updateCopy(key, {}, step('stale', next, 4 * SHORT));
        await sleep(2 * SHORT);
        expect((await cache().readCopy(key)).token).toBe(next);
        expect(await cache().fillCopy(key, session({ a: 'A' }), step('', newToken()))).toBe(false);
      });

      it("keeps a fill's token for leaseMs even when a field ends the copy sooner", async () => {
        const { key, token } = await filled(session({ brief: ['B', 30] }), 4 * SHORT);
        await sleep(SHORT);
        const read = await cache().readCopy(key);
        expect(read.copy).toBeUndefined();
        expect(read.token).toBe(token);
        expect(await cache().fillCopy(key, session({ a: 'A' }), step('', newToken()))).toBe(false);
      });

      it('forgets an evicted key once leaseMs has passed, so a fill expecting "" succeeds again', async () => {
        const key = newKey();
        await cache().evict(key, newToken(), SHORT);
        await sleep(PAST_SHORT);
        const read = await cache().readCopy(key);
        expect(read.token).toBe('');
        expect(await cache().fillCopy(key, session({ a: 'A' }), step('', newToken()))).toBe(true);
      });

      it('accepts a fill expecting the token read after a lease has passed, local fields still live', async () => {
        const { key } = await filled(session({ a: 'A' }, { ttlMs: 30_000 }), SHORT);
        await cache().writeLocal(key, [local('l', 'L')], false);
        await sleep(PAST_SHORT);
        const read = await cache().readCopy(key);
        expect(read.copy).toBeUndefined();
        expect(texts(read.local)).toEqual({ l: 'L' });
        const next = newToken();
        expect(await cache().fillCopy(key, session({ a: 'A2' }), step(read.token, next))).toBe(
          true,
        );
        const refilled = await cache().readCopy(key);
        expect(refilled.token).toBe(next);
        expect(texts(refilled.copy?.fields)).toEqual({ a: 'A2' });
        expect(texts(refilled.local)).toEqual({ l: 'L' });
      });
    });

    describe('values are bytes', () => {
      it('round-trips every byte value and an empty value exactly, in the copy, local fields and removed values', async () => {
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        // A view into a larger buffer: only the viewed bytes are the value.
        const padded = new Uint8Array(260);
        padded.set(all, 2);
        const view = padded.subarray(2, 258);
        const empty = new Uint8Array(0);
        const copy: StoredSession = {
          fields: new Map([
            ['all', { value: all, ttlMs: null }],
            ['view', { value: view, ttlMs: 20_000 }],
            ['empty', { value: empty, ttlMs: null }],
          ]),
          ttlMs: 30_000,
          maxTtlMs: null,
          createdAt: CREATED_AT,
        };
        const { key, token } = await filled(copy);
        let read = await cache().readCopy(key);
        expect(hex(read.copy?.fields.get('all')?.value)).toBe(hex(all));
        expect(hex(read.copy?.fields.get('view')?.value)).toBe(hex(all));
        expect(hex(read.copy?.fields.get('empty')?.value)).toBe('');
        expect(read.copy?.fields.get('all')?.value).toBeInstanceOf(Uint8Array);

        await cache().writeLocal(
          key,
          [
            { field: 'localAll', value: all },
            { field: 'localView', value: view, ttlMs: 20_000 },
            { field: 'localEmpty', value: empty },
          ],
          false,
        );
        const next = newToken();
        await cache().updateCopy(key, { set: [{ field: 'set', value: view }] }, step(token, next));
        read = await cache().readCopy(key);
        expect(hex(read.local.get('localAll')?.value)).toBe(hex(all));
        expect(hex(read.local.get('localView')?.value)).toBe(hex(all));
        expect(hex(read.local.get('localEmpty')?.value)).toBe('');
        expect(hex(read.copy?.fields.get('set')?.value)).toBe(hex(all));

        const update = await cache().updateCopy(
          key,
          { remove: ['localAll', 'localView', 'localEmpty'] },
          step(next, newToken()),
        );
        expect(hex(update.removed.get('localAll'))).toBe(hex(all));
        expect(hex(update.removed.get('localView'))).toBe(hex(all));
        expect(hex(update.removed.get('localEmpty'))).toBe('');
      });

      it('round-trips unicode field names in the copy, local fields and removed values', async () => {
        const copyNames = ['ünïcødé', '日本語', '🔑 key', '__proto__', 'a.b:c{d}'];
        const copy = session({
          [copyNames[0] as string]: 'u',
          [copyNames[1] as string]: ['j', 20_000],
          [copyNames[2] as string]: 'k',
          [copyNames[3] as string]: 'p',
          [copyNames[4] as string]: 's',
        });
        const { key, token } = await filled(copy);
        await cache().writeLocal(
          key,
          [local('ローカル', 'l1', 20_000), local('émoji 🎉', 'l2'), local('constructor', 'l3')],
          false,
        );
        let read = await cache().readCopy(key);
        expect(texts(read.copy?.fields)).toEqual({
          ünïcødé: 'u',
          日本語: 'j',
          '🔑 key': 'k',
          ['__proto__']: 'p',
          'a.b:c{d}': 's',
        });
        expectTtl(read.copy?.fields.get('日本語')?.ttlMs, 20_000);
        expect(names(read.local)).toEqual(['constructor', 'émoji 🎉', 'ローカル'].sort());
        expectTtl(read.local.get('ローカル')?.ttlMs, 20_000);

        const next = newToken();
        const update = await cache().updateCopy(
          key,
          { set: [local('新しい', 'n', 10_000)], remove: ['ローカル', 'émoji 🎉', 'ünïcødé'] },
          step(token, next),
        );
        expect(update.applied).toBe(true);
        expect(names(update.removed)).toEqual(['émoji 🎉', 'ローカル'].sort());
        read = await cache().readCopy(key);
        expect(names(read.copy?.fields)).toEqual(
          ['日本語', '🔑 key', '__proto__', 'a.b:c{d}', '新しい'].sort(),
        );
        expectTtl(read.copy?.fields.get('新しい')?.ttlMs, 10_000);
        expect(names(read.local)).toEqual(['constructor']);
      });
    });
  });
}

describeCacheConformance('MemoryStore', async () => {
  const store = memoryStore();
  return { cache: store, teardown: () => store.close() };
});

describeCacheConformance('RedisStore (standalone)', async () => {
  const client: Redis = await connectRedis();
  const prefix = uniquePrefix('session-cache');
  const store = new RedisStore({ client, prefix });
  return {
    cache: store,
    teardown: async () => {
      await deleteKeysUnder(client, prefix);
      await store.close();
      await client.quit();
    },
  };
});
