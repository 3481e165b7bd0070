import { MemoryStore, type MemoryStoreOptions } from '../../src/stores/memory/memory-store.ts';

let created = 0;

/**
 * A `MemoryStore` with a name of its own, so it holds only the sessions of the test that made
 * it: stores of one name share their sessions across the whole test file's process.
 */
export function memoryStore(options: Omit<MemoryStoreOptions, 'name'> = {}): MemoryStore {
  created++;
  return new MemoryStore({ name: `test-${created}`, ...options });
}
