// One session at its bound: how long a getAll takes (ms), Memory and Redis.
import { Redis } from 'ioredis';
import { MemoryStore } from '../../src/stores/memory/memory-store.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import type { SessionStore } from '../../src/core/store-contract.ts';

const limits = { maxFields: 256, maxSessionBytes: 1024 * 1024 };
const opts = { create: true, idleMs: 60_000, limits };
async function fill(store: SessionStore, key: string) {
  const value = new Uint8Array(4_000).fill(97);
  let written = 0;
  for (let i = 0; i < 400; i++) {
    try { await store.set(key, { field: `f${i}`, value }, opts); written++; } catch { break; }
  }
  return written;
}
async function time(store: SessionStore, key: string) {
  const runs: number[] = [];
  for (let i = 0; i < 50; i++) { const t = performance.now(); await store.getAll(key); runs.push(performance.now() - t); }
  runs.sort((a, b) => a - b);
  return { p50: runs[25]?.toFixed(2), max: runs[49]?.toFixed(2) };
}
const client = new Redis('redis://127.0.0.1:6379');
for (const [name, store] of [['memory', new MemoryStore({ name: 'probe' })], ['redis', new RedisStore({ client, prefix: 'probe:' })]] as const) {
  const key = `fam12345.${Math.random().toString(36).slice(2)}`;
  const written = await fill(store, key);
  console.log(name, 'fields written before refusal', written, 'getAll ms', await time(store, key));
  await store.delete(key);
}
await client.quit();
