/**
 * The store as a manager with `onEvent` uses it: every failed call is reported as a
 * `store-error` before it reaches the handle, and a store that reports failures it worked
 * around (a `LayeredStore`) has them routed as `hot-error`. Without `onEvent` the store is used
 * as given, so the reporting costs nothing.
 *
 * @packageDocumentation
 */

import { RutsError, StoreError } from './errors.ts';
import { type EmitEvent, errorName } from './session-events.ts';
import { canObserve, type SessionStore } from './store-contract.ts';

/** The contract's calls the handle and the owner calls make. */
const CALLS = new Set<PropertyKey>([
  'getAll',
  'set',
  'setMany',
  'setIfAbsent',
  'remove',
  'take',
  'delete',
  'rename',
  'expire',
  'listOwned',
  'deleteOwned',
]);

/**
 * `store`, reporting through `emit`. A Proxy rather than a wrapper class, so that optional
 * capabilities (owners, sweeping) are present exactly when the store has them.
 */
export function reportingStore(store: SessionStore, emit: EmitEvent): SessionStore {
  if (canObserve(store)) {
    store.subscribe((event) =>
      emit({ type: 'hot-error', operation: event.operation, error: errorName(event.error) }),
    );
  }
  const calls = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const member: unknown = Reflect.get(target, property, target);
      if (typeof member !== 'function') return member;
      // Other methods (close, sweep) run on the store itself, whose private fields need it.
      if (!CALLS.has(property)) return member.bind(target);
      let call = calls.get(property);
      if (call === undefined) {
        // Looked up on each call, so a method replaced later (a test's spy) is the one called.
        call = async (...args: unknown[]) => {
          try {
            const current = Reflect.get(target, property, target) as (...a: unknown[]) => unknown;
            return await current.apply(target, args);
          } catch (error) {
            // A refusal the store raised on purpose (a limit, a bad owner) is no failure.
            if (!(error instanceof RutsError) || error instanceof StoreError) {
              emit({ type: 'store-error', operation: String(property), error: errorName(error) });
            }
            throw error;
          }
        };
        calls.set(property, call);
      }
      return call;
    },
  });
}
