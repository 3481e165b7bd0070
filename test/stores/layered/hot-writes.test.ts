import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/core/errors.ts';
import {
  clock,
  HOUR,
  hotForm,
  layered,
  MINUTE,
  names,
  text,
  utf8,
  write,
} from './support/tier-double.ts';

const key = 'fam00000.session';
const hotWrite = (extra = {}) => write({ write: 'hot', ...extra });

describe("LayeredStore 'hot' writes", () => {
  it('write to hot only once the session is warm, never to cold', async () => {
    const { store, hot, cold } = layered();
    await store.set(key, { field: 'a', value: utf8('1') }, write());
    await store.getAll(key);
    cold.reset();
    await store.set(key, { field: 'csrf', value: utf8('nonce-1') }, hotWrite());
    await store.setMany(key, [{ field: 'csrf', value: utf8('nonce-2') }], hotWrite());
    expect(cold.total()).toBe(0);
    expect(names(await cold.inner.getAll(key))).toEqual(['a']);
    expect(await hotForm(hot, key, 'csrf')).toBe('hot');
    expect(text(await store.get(key, 'csrf'))).toBe('nonce-2');
    expect(names(await store.getAll(key))).toEqual(['a', 'csrf']);
    expect(cold.total()).toBe(0);
  });

  it('read the whole session from cold first when hot does not hold it complete', async () => {
    const { store, cold } = layered();
    await store.set(key, { field: 'a', value: utf8('1') }, write());
    cold.reset();
    await store.set(key, { field: 'csrf', value: utf8('n') }, hotWrite());
    expect(cold.calls).toEqual({ getAll: 1 });
    cold.reset();
    // That read warmed hot, so hot now answers for the whole session, its own field included.
    expect(names(await store.getAll(key))).toEqual(['a', 'csrf']);
    expect(cold.total()).toBe(0);
  });

  it('report the TTL of the cold session, which they do not extend', async () => {
    const [hotTime, coldTime] = [clock(), clock()];
    const { store } = layered({ hotNow: hotTime.now, coldNow: coldTime.now });
    await store.set(key, { field: 'a', value: utf8('1') }, write({ idleMs: 2 * HOUR }));
    for (const time of [hotTime, coldTime]) time.advance(10 * MINUTE);
    const result = await store.set(key, { field: 'csrf', value: utf8('n') }, hotWrite());
    expect(result).toEqual({ ttlMs: 2 * HOUR - 10 * MINUTE });
    expect((await store.getAll(key))?.ttlMs).toBe(2 * HOUR - 10 * MINUTE);
  });

  it('report their own fields with the TTL hot gives them, at most the hot TTL', async () => {
    const { store } = layered({ hotTtl: 60 });
    await store.set(key, { field: 'a', value: utf8('1') }, write());
    await store.set(key, { field: 'short', value: utf8('s'), ttlMs: 10_000 }, hotWrite());
    await store.set(key, { field: 'long', value: utf8('l'), ttlMs: 2 * HOUR }, hotWrite());
    await store.set(key, { field: 'plain', value: utf8('p') }, hotWrite());
    const fields = (await store.getAll(key))?.fields;
    expect(fields?.get('short')?.ttlMs).toBeLessThanOrEqual(10_000);
    expect(fields?.get('long')?.ttlMs).toBeLessThanOrEqual(MINUTE);
    expect(fields?.get('plain')?.ttlMs).toBeNull();
  });

  it('create a session by anchoring it in cold, since cold decides what exists', async () => {
    const { store, cold } = layered();
    const created = await store.set(key, { field: 'csrf', value: utf8('n') }, hotWrite());
    expect(created?.ttlMs).toBeGreaterThan(0);
    expect(names(await cold.inner.getAll(key))).toEqual(['~anchor']);
    expect(names(await store.getAll(key))).toEqual(['csrf']);
    expect(text(await store.get(key, 'csrf'))).toBe('n');
  });

  it('resolve null and create nothing for a missing session when create is false', async () => {
    const { store, hot, cold } = layered();
    const entry = { field: 'csrf', value: utf8('n') };
    expect(await store.set(key, entry, hotWrite({ create: false }))).toBeNull();
    expect(await store.setIfAbsent(key, entry, hotWrite({ create: false }))).toBeNull();
    expect(await cold.inner.getAll(key)).toBeUndefined();
    expect(await hot.inner.getAll(key)).toBeUndefined();
  });

  it('move a field out of cold, so its older cold value never comes back', async () => {
    const { store, hot, cold } = layered();
    await store.set(key, { field: 'token', value: utf8('durable') }, write());
    await store.set(key, { field: 'token', value: utf8('ephemeral') }, hotWrite());
    expect(names(await cold.inner.getAll(key))).toEqual([]);
    expect(text(await store.get(key, 'token'))).toBe('ephemeral');
    // Once hot loses it, the field is gone, rather than back at its old value.
    await hot.inner.delete(key);
    expect(await store.get(key, 'token')).toBeUndefined();
    expect(names(await store.getAll(key))).toEqual([]);
  });

  it('survive the entry being warmed again once its complete mark lapses', async () => {
    const [hotTime, coldTime] = [clock(), clock()];
    const { store, cold } = layered({ hotTtl: 60, hotNow: hotTime.now, coldNow: coldTime.now });
    await store.set(key, { field: 'a', value: utf8('1') }, write());
    await store.getAll(key);
    for (const time of [hotTime, coldTime]) time.advance(30_000);
    await store.set(key, { field: 'csrf', value: utf8('n') }, hotWrite());
    for (const time of [hotTime, coldTime]) time.advance(40_000);
    cold.reset();
    expect(names(await store.getAll(key))).toEqual(['a', 'csrf']);
    expect(cold.calls.getAll).toBe(1);
    expect(text(await store.get(key, 'csrf'))).toBe('n');
  });

  it('give way to a later write through of the same field', async () => {
    const { store, hot } = layered();
    await store.set(key, { field: 'a', value: utf8('hot') }, hotWrite());
    await store.set(key, { field: 'a', value: utf8('durable') }, write());
    await hot.inner.delete(key);
    expect(text(await store.get(key, 'a'))).toBe('durable');
  });

  it('leave the session when cold ends it, however recently they were written', async () => {
    const [hotTime, coldTime] = [clock(), clock()];
    const { store } = layered({ hotNow: hotTime.now, coldNow: coldTime.now });
    await store.set(key, { field: 'a', value: utf8('1') }, write({ idleMs: 10 * MINUTE }));
    for (const time of [hotTime, coldTime]) time.advance(9 * MINUTE);
    await store.set(key, { field: 'csrf', value: utf8('n') }, hotWrite());
    for (const time of [hotTime, coldTime]) time.advance(MINUTE);
    expect(await store.getAll(key)).toBeUndefined();
    expect(await store.get(key, 'csrf')).toBeUndefined();
  });

  it('fall back to cold when hot is down, so the value is kept rather than lost', async () => {
    const { store, hot, cold, events } = layered();
    await store.set(key, { field: 'a', value: utf8('1') }, write());
    hot.kill();
    await store.set(key, { field: 'csrf', value: utf8('n') }, hotWrite());
    expect(text(await cold.inner.get(key, 'csrf'))).toBe('n');
    expect(text(await store.get(key, 'csrf'))).toBe('n');
    expect(events.every((event) => event.type !== 'cold-error')).toBe(true);
    expect(events.some((event) => event.type === 'hot-error')).toBe(true);
  });

  it('fail, changing nothing, when a field must leave a cold tier that is down', async () => {
    const { store, hot, cold } = layered();
    await store.set(key, { field: 'token', value: utf8('durable') }, write());
    await store.getAll(key);
    cold.kill();
    await expect(
      store.set(key, { field: 'token', value: utf8('ephemeral') }, hotWrite()),
    ).rejects.toThrow(StoreError);
    cold.revive();
    expect(text(await store.get(key, 'token'))).toBe('durable');
    expect(await hotForm(hot, key, 'token')).not.toBe('hot');
  });

  describe('with setIfAbsent', () => {
    it('insert a field that neither tier holds, into hot only', async () => {
      const { store, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      const first = await store.setIfAbsent(key, { field: 'csrf', value: utf8('1') }, hotWrite());
      const second = await store.setIfAbsent(key, { field: 'csrf', value: utf8('2') }, hotWrite());
      expect([first?.written, second?.written]).toEqual([true, false]);
      expect(text(await store.get(key, 'csrf'))).toBe('1');
      expect(names(await cold.inner.getAll(key))).toEqual(['a']);
    });

    it('refuse a field that cold holds', async () => {
      const { store } = layered();
      await store.set(key, { field: 'a', value: utf8('durable') }, write());
      const result = await store.setIfAbsent(key, { field: 'a', value: utf8('x') }, hotWrite());
      expect(result?.written).toBe(false);
      expect(text(await store.get(key, 'a'))).toBe('durable');
    });

    it('let exactly one of many concurrent inserts write', async () => {
      const { store } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.getAll(key);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.setIfAbsent(key, { field: 'csrf', value: utf8(`${i}`) }, hotWrite()),
        ),
      );
      const winners = results.flatMap((result, i) => (result?.written ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(text(await store.get(key, 'csrf'))).toBe(`${winners[0]}`);
    });

    it('fall back to cold, which then decides, when hot is down', async () => {
      const { store, hot, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      hot.kill();
      const result = await store.setIfAbsent(key, { field: 'csrf', value: utf8('n') }, hotWrite());
      expect(result?.written).toBe(true);
      expect(text(await cold.inner.get(key, 'csrf'))).toBe('n');
    });
  });
});
