import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.ts';
import {
  chooseFieldTtlMode,
  hasNativeFieldTtl,
} from '../../../src/stores/redis/field-ttl-support.ts';
import { RedisStore } from '../../../src/stores/redis/index.ts';
import { readField } from '../../support/read-field.ts';
import {
  connectRedis,
  deleteKeysUnder,
  keysUnder,
  REDIS_URL,
  uniquePrefix,
} from './redis-test-server.ts';

/** Whether the server should have HPEXPIRE, judged from its version for the test's sake only. */
async function expectsNativeFieldTtl(client: Redis): Promise<boolean> {
  const info = await client.info('server');
  const valkey = /valkey_version:(\d+)/.exec(info);
  if (valkey) return Number(valkey[1]) >= 9;
  const [major = 0, minor = 0] = (/redis_version:(\d+)\.(\d+)/.exec(info) ?? [])
    .slice(1)
    .map(Number);
  return major > 7 || (major === 7 && minor >= 4);
}

describe('HPEXPIRE detection', () => {
  let client: Redis;
  let native: boolean;
  const prefix = uniquePrefix('detection');

  beforeAll(async () => {
    client = await connectRedis();
    native = await expectsNativeFieldTtl(client);
  });

  afterAll(async () => {
    await deleteKeysUnder(client, prefix);
    await client.quit();
  });

  it('asks the server whether it knows HPEXPIRE (this 7.0 server does not)', async () => {
    expect(await hasNativeFieldTtl(client)).toBe(native);
  });

  it("picks the native path only where the server has it, under 'auto'", async () => {
    expect(await chooseFieldTtlMode(client, 'auto')).toBe(native ? 'native' : 'emulated');
  });

  it('emulates without asking when nativeFieldTtl is false', async () => {
    const { sent, stop } = record(client);
    expect(await chooseFieldTtlMode(client, false)).toBe('emulated');
    stop();
    expect(sent).toEqual([]);
  });

  it('rejects nativeFieldTtl true on a server without HPEXPIRE, writing nothing', async ({
    skip,
  }) => {
    if (native) return skip('this server has HPEXPIRE');
    await expect(chooseFieldTtlMode(client, true)).rejects.toThrow(ConfigError);
    const store = new RedisStore({ client, prefix, nativeFieldTtl: true });
    const write = { create: true, idleMs: 1_000 };
    await expect(
      store.set('family01.k', { field: 'a', value: new Uint8Array(1) }, write),
    ).rejects.toThrow(/nativeFieldTtl is true, but the server has no HPEXPIRE/);
    expect(await keysUnder(client, prefix)).toEqual([]);
  });

  it('asks once per store, however many calls wait for the answer', async () => {
    const own = await connectRedis();
    try {
      const store = new RedisStore({ client: own, prefix });
      const { sent } = record(own);
      const write = { create: true, idleMs: 60_000 };
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.set(`family01.k${i}`, { field: 'a', value: new Uint8Array(1) }, write),
        ),
      );
      await readField(store, 'family01.k0', 'a');
      expect(sent.filter((name) => name.toLowerCase() === 'command')).toHaveLength(1);
      expect(await store.fieldTtlMode()).toBe(native ? 'native' : 'emulated');
    } finally {
      await own.quit();
    }
  });

  describe('on a server that refuses COMMAND', () => {
    const user = `ruts-test-${randomBytes(6).toString('hex')}`;
    let limited: Redis;

    beforeAll(async () => {
      await client.acl('SETUSER', user, 'on', 'nopass', '~*', '&*', '+@all', '-command');
      limited = await connectRedis(REDIS_URL, { username: user, password: 'unused' });
    });

    afterAll(async () => {
      await limited.quit();
      await client.acl('DELUSER', user);
    });

    it("reports that it cannot tell, so 'auto' emulates and true takes the user's word", async () => {
      expect(await hasNativeFieldTtl(limited)).toBeUndefined();
      expect(await chooseFieldTtlMode(limited, 'auto')).toBe('emulated');
      expect(await chooseFieldTtlMode(limited, true)).toBe('native');
    });
  });
});

function record(client: Redis): { sent: string[]; stop: () => void } {
  const sent: string[] = [];
  const send = client.sendCommand;
  client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    sent.push(command.name);
    return (send as (...args: unknown[]) => unknown).call(client, command, ...rest);
  }) as typeof client.sendCommand;
  return { sent, stop: () => Object.assign(client, { sendCommand: send }) };
}
