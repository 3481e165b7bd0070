import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionScripts } from '../../../src/stores/redis/redis-scripts.ts';
import { connectRedis } from './redis-test-server.ts';

describe('the session scripts', () => {
  let client: Redis;

  beforeAll(async () => {
    client = await connectRedis();
  });

  afterAll(async () => {
    await client.quit();
  });

  // SCRIPT LOAD compiles without running, so the native scripts are checked even on a server
  // that could not run them.
  it.each(['emulated', 'native'] as const)('compile on the server in %s mode', async (mode) => {
    for (const [name, { lua }] of Object.entries(sessionScripts(mode))) {
      const sha = await client
        .script('LOAD', lua)
        .catch((error: Error) => `${name}: ${error.message}`);
      expect(sha).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it('differ between the modes only in field writes, getAll and listing owned sessions', () => {
    const [emulated, native] = [sessionScripts('emulated'), sessionScripts('native')];
    const differing = Object.keys(emulated).filter(
      (name) =>
        emulated[name as keyof typeof emulated].lua !== native[name as keyof typeof native].lua,
    );
    expect(differing.sort()).toEqual(['getAll', 'owned', 'rename', 'write']);
  });

  // A new connection sends each script whole once (EVAL), then only its hash.
  it('keep each script small enough to send whole on a new connection', () => {
    for (const mode of ['emulated', 'native'] as const) {
      for (const { lua } of Object.values(sessionScripts(mode))) {
        expect(lua.length).toBeLessThan(5_120);
      }
    }
  });
});
