/**
 * An in-process session store, for development, tests and single-instance deployments. Sessions
 * live in this process only: they vanish on restart and are not shared between processes. Within
 * a process, every `MemoryStore` of one name holds the same sessions, so a store created at
 * module scope stays one store when the bundler evaluates that module more than once.
 *
 * @packageDocumentation
 */

import { ConfigError, StoreError } from '../../core/errors.ts';
import { acquireShared, type SharedHandle } from '../../core/process-registry.ts';
import type {
  CachedSession,
  CacheStep,
  CopyChange,
  CopyUpdate,
  SessionCache,
} from '../../core/session-cache.ts';
import type {
  ExpireMode,
  FieldTtl,
  FieldWrite,
  InsertResult,
  OwnedSessionStore,
  OwnedStoredSession,
  RenameOptions,
  RenameResult,
  SessionLimits,
  SessionStore,
  SessionTtl,
  StoredSession,
  SweepableStore,
  WriteOptions,
} from '../../core/store-contract.ts';
import { CopyTable } from './copy-table.ts';
import { SessionTable } from './session-table.ts';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Which sessions this store holds. Every `MemoryStore` of one name in a process holds the same
   * sessions, however many times the module creating it is evaluated (Next.js evaluates a module
   * once for pages and once for Route Handlers, and `proxy.ts` once more). Give stores that must
   * hold different sessions different names, such as the two tiers of a `LayeredStore`, or tests
   * that must not see each other's sessions.
   * @default 'default'
   * @example new MemoryStore({ name: 'hot' })
   */
  readonly name?: string;
  /**
   * The most sessions held at once. Creating one more first purges expired sessions, then evicts
   * the least recently used: reads and writes both count as use. Stores of one name must agree.
   * @default 10_000
   * @example new MemoryStore({ maxSessions: 1_000 })
   */
  readonly maxSessions?: number;
  /**
   * The store's clock, in epoch milliseconds. Tests inject one to move time without waiting.
   * Stores of one name must pass the same function.
   * @default Date.now
   * @example let t = 0; new MemoryStore({ name: 'clocked', now: () => t })
   */
  readonly now?: () => number;
}

const DEFAULT_NAME = 'default';
const DEFAULT_MAX_SESSIONS = 10_000;
const MAX_NAME_LENGTH = 256;

/**
 * A {@link SessionStore} that keeps sessions in memory, with least-recently-used eviction.
 * Stores of one name share their sessions within the process; `close()` drops them once every
 * store of that name is closed.
 *
 * @example
 * ```ts
 * import { MemoryStore } from 'ruts';
 * const store = new MemoryStore({ maxSessions: 5_000 });
 * ```
 */
export class MemoryStore implements SessionStore, SweepableStore, OwnedSessionStore, SessionCache {
  /** The name whose sessions this store holds. */
  readonly name: string;
  #table: SharedHandle<SessionTable> | undefined;
  /** The copies this store caches as a hot tier, acquired on first use. */
  #copies: SharedHandle<CopyTable> | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    const { name = DEFAULT_NAME, maxSessions = DEFAULT_MAX_SESSIONS, now = Date.now } = options;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
      throw new ConfigError(
        `MemoryStore name must be a string of 1 to ${MAX_NAME_LENGTH} characters, got ` +
          `${typeof name === 'string' ? `${name.length} characters` : String(name)}. ` +
          'Leave it out to use the default store.',
      );
    }
    if (typeof maxSessions !== 'number' || !Number.isInteger(maxSessions) || maxSessions < 1) {
      throw new ConfigError(
        `MemoryStore maxSessions must be a positive integer, got ${String(maxSessions)}. ` +
          `Leave it out for the default of ${DEFAULT_MAX_SESSIONS}.`,
      );
    }
    if (typeof now !== 'function') {
      throw new ConfigError(
        'MemoryStore now must be a function returning epoch milliseconds, such as Date.now.',
      );
    }
    const table = acquireShared('memory-store', name, () => new SessionTable(maxSessions, now));
    const { value } = table;
    if (value.maxSessions !== maxSessions || value.now !== now) {
      table.release();
      const differs =
        value.maxSessions !== maxSessions
          ? `maxSessions ${value.maxSessions}, where this one asks for ${maxSessions}`
          : 'another clock (`now`)';
      throw new ConfigError(
        `a MemoryStore named "${name}" already exists in this process with ${differs}. Stores ` +
          'of one name share their sessions, so they must agree; give this one a name of its ' +
          'own if it should hold other sessions.',
      );
    }
    this.name = name;
    this.#table = table;
  }

  /** Sessions held right now, counting expired ones that have not been purged yet. */
  get size(): number {
    return this.#table?.value.size ?? 0;
  }

  async getAll(key: string): Promise<StoredSession | undefined> {
    return this.#open('getAll').getAll(key);
  }

  async set(key: string, entry: FieldWrite, options: WriteOptions): Promise<SessionTtl | null> {
    return this.#open('set').set(key, entry, options);
  }

  async setMany(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
  ): Promise<SessionTtl | null> {
    return this.#open('setMany').setMany(key, entries, options);
  }

  async setIfAbsent(
    key: string,
    entry: FieldWrite,
    options: WriteOptions,
  ): Promise<InsertResult | null> {
    return this.#open('setIfAbsent').setIfAbsent(key, entry, options);
  }

  async remove(key: string, field: string): Promise<boolean> {
    return this.#open('remove').remove(key, field);
  }

  async take(key: string, field: string): Promise<Uint8Array | undefined> {
    return this.#open('take').take(key, field);
  }

  async delete(key: string): Promise<boolean> {
    return this.#open('delete').delete(key);
  }

  async rename(from: string, to: string, options: RenameOptions): Promise<RenameResult> {
    return this.#open('rename').rename(from, to, options);
  }

  async expire(key: string, ttlMs: FieldTtl, mode: ExpireMode): Promise<SessionTtl | null> {
    return this.#open('expire').expire(key, ttlMs, mode);
  }

  /**
   * Deletes every expired session and every expired field, and resolves how many sessions went.
   * Unlike the per-call purge this scans everything, since expired fields are not indexed.
   */
  async sweep(): Promise<number> {
    return this.#open('sweep').sweep();
  }

  async listOwned(owner: string, fields: readonly string[]): Promise<OwnedStoredSession[]> {
    return this.#open('listOwned').listOwned(owner, fields);
  }

  async deleteOwned(owner: string, except?: string): Promise<string[]> {
    return this.#open('deleteOwned').deleteOwned(owner, except);
  }

  async readCopy(key: string): Promise<CachedSession> {
    return this.#cache('readCopy').read(key);
  }

  async fillCopy(key: string, copy: StoredSession, step: CacheStep): Promise<boolean> {
    return this.#cache('fillCopy').fill(key, copy, step);
  }

  async updateCopy(key: string, change: CopyChange, step: CacheStep): Promise<CopyUpdate> {
    return this.#cache('updateCopy').update(key, change, step);
  }

  async writeLocal(
    key: string,
    entries: readonly FieldWrite[],
    ifAbsent: boolean,
    limits?: SessionLimits,
  ): Promise<InsertResult | null> {
    return this.#cache('writeLocal').writeLocal(key, entries, ifAbsent, limits);
  }

  async evict(key: string, next: string, leaseMs: number, moveTo?: string): Promise<void> {
    this.#cache('evict').evict(key, next, leaseMs, moveTo);
  }

  /**
   * Closes this store. Once every store of its name is closed, their sessions are dropped; a
   * store created with that name afterwards starts empty.
   */
  async close(): Promise<void> {
    const table = this.#table;
    const copies = this.#copies;
    this.#table = undefined;
    this.#copies = undefined;
    table?.release()?.clear();
    copies?.release()?.clear();
  }

  #cache(operation: string): CopyTable {
    const { maxSessions, now } = this.#open(operation);
    this.#copies ??= acquireShared(
      'memory-copies',
      this.name,
      () => new CopyTable(maxSessions, now),
    );
    return this.#copies.value;
  }

  #open(operation: string): SessionTable {
    if (this.#table !== undefined) return this.#table.value;
    throw new StoreError(
      operation,
      new Error(`MemoryStore "${this.name}" has been closed; create a new one to go on`),
    );
  }
}
