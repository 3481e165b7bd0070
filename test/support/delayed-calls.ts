/**
 * Calls that take their time: an object (a session store, say) whose every method waits a
 * random while before it runs, and optionally after it settles, so that calls several simulated
 * processes make at once interleave in the many orders a real network produces and a local
 * server rarely does.
 *
 * @packageDocumentation
 */

/** Milliseconds to wait, drawn anew for each call. */
export type DelayFn = () => number;

/** Options of {@link withDelays}. */
export interface DelayOptions {
  /** Milliseconds to wait once the call settled, before its caller sees the outcome. */
  readonly after?: DelayFn;
  /** Methods that run at once, as they are: those callers need promptly or synchronously. */
  readonly unwrapped?: readonly PropertyKey[];
}

/** What a store's callers need straight away: its synchronous methods, and closing it. */
export const UNDELAYED_STORE_METHODS: readonly PropertyKey[] = [
  'close',
  'getInstance',
  'fieldTtlMode',
];

/** A delay of 0 to `maxMs` whole milliseconds, uniformly. */
export function upTo(maxMs: number): DelayFn {
  return () => Math.floor(Math.random() * (maxMs + 1));
}

/**
 * `target` with every method (but `unwrapped`) delayed by `before()` ms, and by `after()` ms
 * once it settles. A delayed method always returns a promise.
 */
export function withDelays<T extends object>(
  target: T,
  before: DelayFn,
  options: DelayOptions = {},
): T {
  const { after, unwrapped = UNDELAYED_STORE_METHODS } = options;
  const undelayed = new Set(unwrapped);
  return new Proxy(target, {
    get(object, property) {
      // Methods run with `this` the object itself: a proxy has none of its private (#) fields.
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      if (undelayed.has(property)) return value.bind(object);
      return async (...args: unknown[]) => {
        await sleep(before());
        try {
          return await value.apply(object, args);
        } finally {
          if (after) await sleep(after());
        }
      };
    },
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
