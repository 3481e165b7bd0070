/**
 * A session store on Redis (or Valkey) through ioredis, standalone or Cluster.
 *
 * Each session is one hash; each call is one Lua script, so one round trip and atomic, timed by
 * the server's clock. Per-field TTLs use the server's own hash field expiry where it has one
 * (Redis 7.4+, Valkey 9+) and are emulated inside the scripts on Redis 6.2 and later. Binding a
 * session to an owner takes a few round trips more (`redis-owners.ts`).
 *
 * @packageDocumentation
 */

import { type Cluster, Redis } from 'ioredis';
import { ConfigError, checkedOwner, InvalidKeyError } from '../../core/errors.ts';
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
  WriteOptions,
} from '../../core/store-contract.ts';
import { chooseFieldTtlMode } from './field-ttl-support.ts';
import { RedisCache } from './redis-cache.ts';
import { defineSessionCommands, INDEX_FIRST, type SessionCommands } from './redis-commands.ts';
import { assertValidPrefix, DEFAULT_PREFIX, sessionKey } from './redis-keys.ts';
import { RedisOwners } from './redis-owners.ts';
import type { FieldTtlMode } from './redis-scripts.ts';

/** Options of {@link RedisStore}. Give either `client` or `url`. */
export interface RedisStoreOptions {
  /**
   * Your own ioredis client, standalone `Redis` or `Cluster`. The store registers its scripts on
   * it (`defineCommand`, under names starting with `ruts_`) and never closes it.
   * @example new RedisStore({ client: new Redis(process.env.REDIS_URL) })
   * @example new RedisStore({ client: new Cluster([{ host: 'redis-1', port: 6379 }]) })
   */
  readonly client?: Redis | Cluster;
  /**
   * A `redis://` or `rediss://` URL. The store creates a standalone client for it on first use,
   * one per URL in the process, shared by every store given that URL (Next.js may evaluate the
   * module creating the store several times), and closed when the last of them closes. For
   * Cluster, Sentinel or custom options, pass a `client` instead.
   * @example new RedisStore({ url: 'redis://localhost:6379/0' })
   */
  readonly url?: string;
  /**
   * Prepended to every key. Printable ASCII without `{` or `}` (the session's hash tag must be
   * the only one in its key), at most 64 characters. Use one prefix per application sharing a
   * database.
   * @default 'ruts:'
   * @example new RedisStore({ client, prefix: 'shop:sess:' })
   */
  readonly prefix?: string;
  /**
   * Whether per-field TTLs use the server's own hash field expiry (`HPEXPIRE`, Redis 7.4+ and
   * Valkey 9+). `'auto'` asks the server once and uses it when present, emulating it otherwise;
   * `true` requires it (calls reject with a `ConfigError` on a server without it); `false`
   * always emulates, for example while a cluster is part-way through an upgrade.
   * @default 'auto'
   * @example new RedisStore({ client, nativeFieldTtl: false })
   */
  readonly nativeFieldTtl?: 'auto' | boolean;
}

/**
 * A {@link SessionStore} on Redis. It indexes sessions by owner ({@link OwnedSessionStore}), so
 * "sign out everywhere" costs in proportion to the owner's sessions.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisStore } from 'ruts/redis';
 * const store = new RedisStore({ client: new Redis(process.env.REDIS_URL) });
 * ```
 */
export class RedisStore implements SessionStore, OwnedSessionStore, SessionCache {
  readonly #url: string | undefined;
  #client: Redis | Cluster | undefined;
  /** This store's hold on the process's client for `#url`, while it has one. */
  #shared: SharedHandle<Redis> | undefined;
  readonly #prefix: string;
  readonly #nativeFieldTtl: 'auto' | boolean;
  #commands: SessionCommands | undefined;
  #choosing: Promise<SessionCommands> | undefined;
  /** The calls of this store as a `LayeredStore`'s hot tier, registered on first use. */
  #cache: RedisCache | undefined;
  /** The owner index, registered on first use. */
  #ownerIndex: RedisOwners | undefined;

  constructor(options: RedisStoreOptions) {
    const { client, url, prefix = DEFAULT_PREFIX, nativeFieldTtl = 'auto' } = options ?? {};
    if ((client === undefined) === (url === undefined)) {
      throw new ConfigError(
        'RedisStore needs exactly one of `client` (your ioredis Redis or Cluster) or `url` ' +
          '(a redis:// URL the store connects to itself).',
      );
    }
    if (client !== undefined && typeof client.defineCommand !== 'function') {
      throw new ConfigError('RedisStore client must be an ioredis Redis or Cluster instance.');
    }
    if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
      throw new ConfigError(
        `RedisStore url must start with redis:// or rediss://, got ${JSON.stringify(String(url))}.`,
      );
    }
    assertValidPrefix(prefix);
    if (nativeFieldTtl !== 'auto' && typeof nativeFieldTtl !== 'boolean') {
      throw new ConfigError(
        `RedisStore nativeFieldTtl must be 'auto', true or false, got ${String(nativeFieldTtl)}.`,
      );
    }
    this.#client = client;
    this.#url = url;
    this.#prefix = prefix;
    this.#nativeFieldTtl = nativeFieldTtl;
    if (nativeFieldTtl === false)
      this.#commands = defineSessionCommands(this.getInstance(), 'emulated');
  }

  /**
   * The ioredis client, for what the store does not do itself. With `url`, this creates the
   * client if no store of that URL has yet; the stores still own it and close it.
   */
  getInstance(): Redis | Cluster {
    if (this.#client === undefined) {
      const url = this.#url as string;
      // Lazy, so a store built at import time opens no connection until it is used.
      this.#shared = acquireShared(
        'redis-client',
        url,
        () => new Redis(url, { lazyConnect: true }),
      );
      this.#client = this.#shared.value;
    }
    return this.#client;
  }

  /** How this store keeps field TTLs; asks the server on first use unless `nativeFieldTtl` is false. */
  async fieldTtlMode(): Promise<FieldTtlMode> {
    return (await this.#ready()).mode;
  }

  async getAll(key: string): Promise<StoredSession | undefined> {
    const commands = this.#commands ?? (await this.#ready());
    return commands.getAll(this.#key(key));
  }

  async set(key: string, entry: FieldWrite, options: WriteOptions): Promise<SessionTtl | null> {
    const reply = await this.#write(key, [entry], options, false);
    return reply && { ttlMs: reply.ttlMs };
  }

  async setMany(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
  ): Promise<SessionTtl | null> {
    const reply = await this.#write(key, entries, options, false);
    return reply && { ttlMs: reply.ttlMs };
  }

  async setIfAbsent(
    key: string,
    entry: FieldWrite,
    options: WriteOptions,
  ): Promise<InsertResult | null> {
    return this.#write(key, [entry], options, true);
  }

  async remove(key: string, field: string): Promise<boolean> {
    const commands = this.#commands ?? (await this.#ready());
    return commands.remove(this.#key(key), fieldName(field));
  }

  async take(key: string, field: string): Promise<Uint8Array | undefined> {
    const commands = this.#commands ?? (await this.#ready());
    return commands.take(this.#key(key), fieldName(field));
  }

  async delete(key: string): Promise<boolean> {
    const commands = this.#commands ?? (await this.#ready());
    return commands.delete(this.#key(key));
  }

  async rename(from: string, to: string, options: RenameOptions): Promise<RenameResult> {
    const entries = checkedEntries(options.set ?? []);
    // Checked here as well as in the core: '' is how the scripts say "no owner".
    const owner = options.owner === undefined ? undefined : checkedOwner(options.owner);
    const commands = this.#commands ?? (await this.#ready());
    const { idleMs, limits } = options;
    return this.#owners().rename(commands, from, to, entries, idleMs, limits, owner);
  }

  async expire(key: string, ttlMs: FieldTtl, mode: ExpireMode): Promise<SessionTtl | null> {
    const commands = this.#commands ?? (await this.#ready());
    return commands.expire(this.#key(key), ttlMs, mode);
  }

  async listOwned(owner: string, fields: readonly string[]): Promise<OwnedStoredSession[]> {
    checkedOwner(owner);
    const commands = this.#commands ?? (await this.#ready());
    return this.#owners().list(commands, owner, fields.map(fieldName));
  }

  async deleteOwned(owner: string, except?: string): Promise<string[]> {
    checkedOwner(owner);
    const commands = this.#commands ?? (await this.#ready());
    return this.#owners().revoke(commands, owner, except);
  }

  readCopy(key: string): Promise<CachedSession> {
    return this.#cached().read(key);
  }

  fillCopy(key: string, copy: StoredSession, step: CacheStep): Promise<boolean> {
    return this.#cached().fill(key, copy, step);
  }

  updateCopy(key: string, change: CopyChange, step: CacheStep): Promise<CopyUpdate> {
    return this.#cached().update(key, change, step);
  }

  async writeLocal(
    key: string,
    entries: readonly FieldWrite[],
    ifAbsent: boolean,
    limits?: SessionLimits,
  ): Promise<InsertResult | null> {
    return this.#cached().writeLocal(key, checkedEntries(entries), ifAbsent, limits);
  }

  evict(key: string, next: string, leaseMs: number, moveTo?: string): Promise<void> {
    return this.#cached().evict(key, next, leaseMs, moveTo);
  }

  /**
   * Closes the client the store created from `url`, after its pending replies, once no other
   * store of that URL uses it. A `client` you passed in is yours: it stays open.
   */
  async close(): Promise<void> {
    if (this.#url === undefined || this.#client === undefined) return;
    const client = this.#shared?.release();
    this.#client = undefined;
    this.#shared = undefined;
    this.#commands = undefined;
    this.#choosing = undefined;
    this.#cache = undefined;
    this.#ownerIndex = undefined;
    if (client === undefined) return;
    // Only a ready client can flush with QUIT; any other would queue it (or connect to send it).
    if (client.status !== 'ready') return client.disconnect();
    // QUIT resolves on its reply; the socket closes a moment later, and close() waits for that.
    const ended = new Promise((resolve) => client.once('end', resolve));
    await client.quit();
    await ended;
  }

  async #write(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
    ifAbsent: boolean,
  ): Promise<InsertResult | null> {
    checkedEntries(entries);
    const commands = this.#commands ?? (await this.#ready());
    const args = {
      create: options.create,
      idleMs: options.idleMs,
      absoluteMs: options.absoluteMs,
      ifAbsent,
      limits: options.limits,
    };
    // Only a write that may create the session binds it.
    if (options.owner !== undefined && options.create) {
      const owner = checkedOwner(options.owner);
      return this.#owners().write(commands, key, entries, { ...args, owner });
    }
    const reply = await commands.write(this.#key(key), entries, args);
    return reply === INDEX_FIRST ? null : reply;
  }

  #key(key: string): string {
    return sessionKey(this.#prefix, key);
  }

  #owners(): RedisOwners {
    this.#ownerIndex ??= new RedisOwners(this.getInstance(), this.#prefix);
    return this.#ownerIndex;
  }

  #cached(): RedisCache {
    this.#cache ??= new RedisCache(this.getInstance(), (key) => this.#key(key));
    return this.#cache;
  }

  /** Settles the field TTL mode once. A failed attempt is forgotten, so the next call retries. */
  #ready(): Promise<SessionCommands> {
    if (this.#commands !== undefined) return Promise.resolve(this.#commands);
    const client = this.getInstance();
    this.#choosing ??= chooseFieldTtlMode(client, this.#nativeFieldTtl).then(
      (mode) => {
        const commands = defineSessionCommands(client, mode);
        // close() may have dropped this client meanwhile; its commands must not outlive it.
        if (this.#client === client) this.#commands = commands;
        return commands;
      },
      (error: unknown) => {
        this.#choosing = undefined;
        throw error;
      },
    );
    return this.#choosing;
  }
}

/** Metadata shares the hash under names starting with NUL, so a field name never may. */
function fieldName(field: string): string {
  if (field.charCodeAt(0) === 0) {
    throw new InvalidKeyError(field, 'RedisStore reserves field names starting with NUL');
  }
  return field;
}

function checkedEntries(entries: readonly FieldWrite[]): readonly FieldWrite[] {
  for (const { field } of entries) fieldName(field);
  return entries;
}
