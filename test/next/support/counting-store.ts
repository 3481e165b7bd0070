import type { SessionStore } from '../../../src/core/store-contract.ts';
import { memoryStore } from '../../support/memory-store.ts';

/**
 * A real MemoryStore that records each call made to it, so tests can count store round trips.
 * Calls are forwarded to the store itself (not the proxy), because its fields are `#private`.
 */
export function countingStore(): { store: SessionStore; calls: string[] } {
  const target = memoryStore();
  const calls: string[] = [];
  const store = new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
  return { store, calls };
}
