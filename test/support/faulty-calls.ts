/**
 * Faults injected into a store's calls, whatever its methods are called: a `Proxy` that counts
 * every call to a function-valued property and can make the k-th call (counted from the last
 * {@link FaultyCalls.arm}) fail in one of four ways. A `LayeredStore` given the proxy as its hot
 * tier then meets the fault in whichever hot call it makes k-th, contract method or cache
 * method alike, so a test need not know which calls an implementation makes.
 *
 * Stores keep their state in private fields (`#x`), which only the real object can reach, so
 * every call runs with `this` bound to the target, never to the proxy.
 *
 * @packageDocumentation
 */

/**
 * - `fails-once`: the k-th call rejects without running; later calls run normally.
 * - `fails-always`: the k-th call and every later one reject without running, until reset.
 * - `times-out`: the k-th call and every later one never settle, until reset (the caller must
 *   give up on them itself).
 * - `reply-lost`: the k-th call runs for real, then rejects as if the connection had dropped
 *   before its reply arrived; later calls run normally.
 */
export type Fault = 'fails-once' | 'fails-always' | 'times-out' | 'reply-lost';

export const FAULTS: readonly Fault[] = ['fails-once', 'fails-always', 'times-out', 'reply-lost'];

/** Properties that are functions but not calls to the store's server: never counted nor faulted. */
const NOT_CALLS = new Set<PropertyKey>(['close', 'getInstance', 'fieldTtlMode']);

/** What a faulted call rejects with. */
export class InjectedFault extends Error {
  readonly fault: Fault;
  constructor(fault: Fault, method: string, n: number) {
    super(
      fault === 'reply-lost'
        ? `Connection is closed (injected: reply of ${method}, call ${n}, lost after it ran)`
        : `Connection is closed (injected: ${fault} at ${method}, call ${n})`,
    );
    this.name = 'InjectedFault';
    this.fault = fault;
  }
}

/** One counted call. */
export interface CountedCall {
  readonly method: string;
  /** Its number since the last arm or reset, from 1. */
  readonly n: number;
  /** The fault it met, if any. */
  readonly fault: Fault | undefined;
}

/** The proxy and its controls. */
export interface FaultyCalls<T extends object> {
  /** Use this in place of the store. */
  readonly proxy: T;
  /** The calls counted since the last {@link arm} or {@link reset}, in order. */
  readonly calls: readonly CountedCall[];
  /** How many of {@link calls} met a fault. */
  readonly fired: number;
  /** Counts calls from zero again, and faults the `k`-th (k = 1, 2, ...) with `fault`. */
  arm(fault: Fault, k: number): void;
  /** Every call from now on rejects without running, until {@link reset}: the server is gone. */
  failEverything(): void;
  /** No fault any more; counts calls from zero again. */
  reset(): void;
}

/** Wraps `target` (a store) in a proxy whose calls can be faulted. */
export function faultyCalls<T extends object>(target: T): FaultyCalls<T> {
  let calls: CountedCall[] = [];
  let armed: { fault: Fault; k: number } | undefined;
  let down = false;

  const faultOf = (n: number): Fault | undefined => {
    if (down) return 'fails-always';
    if (armed === undefined) return undefined;
    const { fault, k } = armed;
    if (fault === 'fails-once' || fault === 'reply-lost') return n === k ? fault : undefined;
    return n >= k ? fault : undefined;
  };

  const call = (method: string, fn: (...args: unknown[]) => unknown, args: unknown[]): unknown => {
    const n = calls.length + 1;
    const fault = faultOf(n);
    calls.push({ method, n, fault });
    switch (fault) {
      case undefined:
        return fn.apply(target, args);
      case 'fails-once':
      case 'fails-always':
        return Promise.reject(new InjectedFault(fault, method, n));
      case 'times-out':
        return new Promise(() => {});
      case 'reply-lost': {
        const lost = () => {
          throw new InjectedFault(fault, method, n);
        };
        return Promise.resolve()
          .then(() => fn.apply(target, args))
          .then(lost, lost);
      }
    }
  };

  const proxy = new Proxy(target, {
    get(object, property) {
      // The target as receiver: getters and methods must see the real object's private fields.
      const value: unknown = Reflect.get(object, property, object);
      if (
        typeof value !== 'function' ||
        typeof property === 'symbol' ||
        property === 'constructor'
      ) {
        return value;
      }
      if (NOT_CALLS.has(property)) return value.bind(object);
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => call(property, fn, args);
    },
  });

  return {
    proxy,
    get calls() {
      return calls;
    },
    get fired() {
      return calls.filter((c) => c.fault !== undefined).length;
    },
    arm(fault, k) {
      if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be 1 or more, got ${k}`);
      calls = [];
      down = false;
      armed = { fault, k };
    },
    failEverything() {
      down = true;
    },
    reset() {
      calls = [];
      down = false;
      armed = undefined;
    },
  };
}
