/**
 * What ruts keeps once per process, whatever the bundler does. Next.js may evaluate one module
 * more than once in a server process (Turbopack does, for pages and for Route Handlers), and
 * `proxy.ts` runs in the same process from a bundle of its own, so a store created at module
 * scope would exist once per copy, each holding different sessions. Things that must not split
 * therefore live here, in a registry on `globalThis` under a `Symbol.for` key, which every copy
 * of every module in the process reaches. Edge-safe: no Node built-ins.
 *
 * @packageDocumentation
 */

/**
 * The registry's key. The version changes whenever what an entry holds changes shape, so two
 * different versions of ruts in one process never hand each other objects they cannot use.
 */
const REGISTRY = Symbol.for('ruts.process-registry.v1');

interface Entry {
  readonly value: unknown;
  users: number;
}

type Registry = Map<string, Entry>;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY]?: Registry };
  holder[REGISTRY] ??= new Map();
  return holder[REGISTRY];
}

/** One hold on a shared value, given back with `release()`. */
export interface SharedHandle<T> {
  /** The value every user of the same kind and key gets. */
  readonly value: T;
  /**
   * Ends this use; later calls do nothing. Resolves the value when this was its last use (the
   * entry is then gone, so the caller disposes of it), otherwise `undefined`.
   */
  release(): T | undefined;
}

/**
 * The process's value for `kind` and `key`, created by `create` if no copy of ruts has made one
 * yet. Each call is a use that keeps the value registered until `release()`.
 */
export function acquireShared<T>(kind: string, key: string, create: () => T): SharedHandle<T> {
  const entries = registry();
  const id = `${kind}\0${key}`;
  let entry = entries.get(id);
  if (entry === undefined) {
    entry = { value: create(), users: 0 };
    entries.set(id, entry);
  }
  entry.users++;
  const used = entry;
  let released = false;
  return {
    value: used.value as T,
    release() {
      if (released) return undefined;
      released = true;
      used.users--;
      if (used.users > 0 || entries.get(id) !== used) return undefined;
      entries.delete(id);
      return used.value as T;
    },
  };
}

/** Ids of the functions {@link settingsKey} has met, so equal keys mean the same functions. */
const functionIds = new WeakMap<object, number>();
let functionsSeen = 0;

/**
 * A registry key for settings given as plain data: their JSON, where a function counts only as
 * itself. Settings equal as data but holding different functions get different keys, so nothing
 * is shared that might behave differently.
 */
export function settingsKey(settings: unknown): string {
  return JSON.stringify(settings, (_name, value: unknown) => {
    if (typeof value !== 'function') return value;
    let id = functionIds.get(value);
    if (id === undefined) {
      id = ++functionsSeen;
      functionIds.set(value, id);
    }
    return `[function ${id}]`;
  });
}
