/**
 * The sessions of one `MemoryStore` name, in memory, with least-recently-used eviction. Expired
 * data is never returned, but it is also never searched for with a full scan on an ordinary
 * call: fields are filtered when their session is touched, and sessions are indexed by expiry
 * in a min-heap so each call can purge the few that are already due.
 *
 * @packageDocumentation
 */

import type {
  ExpireMode,
  FieldTtl,
  FieldWrite,
  InsertResult,
  OwnedStoredSession,
  RenameOptions,
  RenameResult,
  SessionLimits,
  SessionTtl,
  StoredField,
  StoredSession,
  WriteOptions,
} from '../../core/store-contract.ts';
import { copyValues } from '../copied-values.ts';
import { type ExpiryEntry, ExpiryHeap } from './expiry-heap.ts';
import {
  applyWrites,
  assertWithinLimits,
  copy,
  expiryOf,
  type Field,
  fieldTtl,
  isLive,
  liveField,
  remaining,
  type Session,
} from './memory-session.ts';

/** Heap entries one call may pop, so purging stays a small constant cost per call. */
const PURGE_BUDGET = 8;

/**
 * Stale heap entries (deleted, evicted or renamed-over sessions) are only dropped when they come
 * due, so a long idle timeout with heavy churn would let them pile up. Past this slack the heap is
 * rebuilt from the live index; the rebuild is O(n) but follows at least n pushes.
 */
const HEAP_SLACK = 1_024;

/**
 * The store calls of `MemoryStore`, on sessions every store of the same name shares. They are
 * synchronous: `MemoryStore` makes each one the promise the contract asks for.
 */
export class SessionTable {
  /** The most sessions held at once. */
  readonly maxSessions: number;
  /** The table's clock, in epoch milliseconds. */
  readonly now: () => number;
  readonly #sessions = new Map<string, Session>();
  /**
   * Ends of the recency list threaded through the sessions. It is a linked list rather than Map
   * insertion order because V8 makes deleting and re-inserting the same key O(n) when repeated,
   * and one busy session does exactly that on every call.
   */
  #oldest: Session | undefined;
  #newest: Session | undefined;
  /**
   * Every session with a finite expiry has at least one entry due no later than that expiry.
   * Extending a session needs no push: when the early entry comes due, it is re-pushed.
   */
  readonly #heap = new ExpiryHeap<Session>();
  /** Sessions by owner. A session leaves its owner's set whenever it leaves the table. */
  readonly #owners = new Map<string, Set<Session>>();

  constructor(maxSessions: number, now: () => number) {
    this.maxSessions = maxSessions;
    this.now = now;
  }

  /** Sessions held right now, counting expired ones that have not been purged yet. */
  get size(): number {
    return this.#sessions.size;
  }

  getAll(key: string): StoredSession | undefined {
    const now = this.#begin();
    const session = this.#use(key, now);
    if (session === undefined) return undefined;
    const sessionExpiry = expiryOf(session);
    const live: [name: string, stored: Field][] = [];
    for (const [name, stored] of session.fields) {
      if (stored.expiresAt !== null && stored.expiresAt <= now) {
        session.fields.delete(name);
        continue;
      }
      live.push([name, stored]);
    }
    const copies = copyValues(live.map(([, stored]) => stored.value));
    const fields = new Map<string, StoredField>();
    for (let i = 0; i < live.length; i++) {
      const [name, stored] = live[i] as [string, Field];
      fields.set(name, {
        value: copies[i] as Uint8Array,
        ttlMs: fieldTtl(stored, sessionExpiry, now),
      });
    }
    const read = {
      fields,
      ttlMs: remaining(sessionExpiry, now),
      maxTtlMs: remaining(session.deadline, now),
      createdAt: session.createdAt,
    };
    return session.owner === undefined ? read : { ...read, owner: session.owner };
  }

  set(key: string, entry: FieldWrite, options: WriteOptions): SessionTtl | null {
    return this.#upsert(key, [entry], options);
  }

  setMany(key: string, entries: readonly FieldWrite[], options: WriteOptions): SessionTtl | null {
    return this.#upsert(key, entries, options);
  }

  setIfAbsent(key: string, entry: FieldWrite, options: WriteOptions): InsertResult | null {
    const now = this.#begin();
    const session = this.#use(key, now);
    // A write that does not happen is no write: it leaves the session's expiry alone.
    if (session !== undefined && liveField(session, entry.field, now) !== undefined) {
      return { written: false, ttlMs: remaining(expiryOf(session), now) };
    }
    const result = this.#write(session, key, [entry], options, now);
    return result && { written: true, ttlMs: result.ttlMs };
  }

  remove(key: string, field: string): boolean {
    const now = this.#begin();
    const session = this.#use(key, now);
    if (session === undefined || liveField(session, field, now) === undefined) return false;
    return session.fields.delete(field);
  }

  take(key: string, field: string): Uint8Array | undefined {
    const now = this.#begin();
    const session = this.#use(key, now);
    const stored = session && liveField(session, field, now);
    if (session === undefined || stored === undefined) return undefined;
    session.fields.delete(field);
    return stored.value;
  }

  delete(key: string): boolean {
    const now = this.#begin();
    const session = this.#sessions.get(key);
    if (session === undefined) return false;
    this.#remove(session);
    return isLive(session, now);
  }

  rename(from: string, to: string, options: RenameOptions): RenameResult {
    const now = this.#begin();
    const session = this.#live(from, now);
    if (session === undefined) return { status: 'missing' };
    // `#live` also purges an expired session at `to`, which a rename may then replace.
    if (this.#live(to, now) !== undefined) return { status: 'collision' };
    this.#assertRoom(session, options.set ?? [], options.limits, now);
    this.#sessions.delete(from);
    session.key = to;
    this.#sessions.set(to, session);
    this.#touch(session);
    if (options.owner !== undefined) this.#bind(session, options.owner);
    applyWrites(session, options.set ?? [], options.idleMs, now);
    return { status: 'renamed', ttlMs: remaining(expiryOf(session), now) };
  }

  expire(key: string, ttlMs: FieldTtl, mode: ExpireMode): SessionTtl | null {
    const now = this.#begin();
    const session = this.#use(key, now);
    if (session === undefined) return null;
    if (ttlMs === 'persistent') {
      session.expiresAt = null;
    } else if (mode === 'set') {
      if (ttlMs <= 0) {
        this.#remove(session);
        return { ttlMs: 0 };
      }
      // 'set' is an end, not just an expiry: it lowers the deadline so activity cannot undo it.
      const end = now + ttlMs;
      session.expiresAt = end;
      session.deadline = Math.min(session.deadline ?? end, end);
      // The expiry may have moved earlier than every entry the heap holds for this session.
      this.#index(session);
    } else if (session.expiresAt !== null) {
      session.expiresAt = Math.max(session.expiresAt, now + ttlMs);
    }
    if (mode === 'extend') session.lastActiveAt = now;
    return { ttlMs: remaining(expiryOf(session), now) };
  }

  /**
   * Deletes every expired session and every expired field, and resolves how many sessions went.
   * Unlike the per-call purge this scans everything, since expired fields are not indexed.
   */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const session of this.#sessions.values()) {
      if (!isLive(session, now)) {
        this.#remove(session);
        removed++;
        continue;
      }
      for (const [name, stored] of session.fields) {
        if (stored.expiresAt !== null && stored.expiresAt <= now) session.fields.delete(name);
      }
    }
    this.#reindex();
    return removed;
  }

  /** The owner's live sessions, each with the live fields among `names`. */
  listOwned(owner: string, names: readonly string[]): OwnedStoredSession[] {
    const now = this.#begin();
    const listed: OwnedStoredSession[] = [];
    for (const session of this.#ownedBy(owner, now)) {
      const expiry = expiryOf(session);
      const fields = new Map<string, StoredField>();
      for (const name of names) {
        const stored = liveField(session, name, now);
        if (stored === undefined || fields.has(name)) continue;
        fields.set(name, { value: copy(stored.value), ttlMs: fieldTtl(stored, expiry, now) });
      }
      listed.push({
        key: session.key,
        createdAt: session.createdAt,
        ttlMs: remaining(expiry, now),
        lastActiveAt: session.lastActiveAt,
        fields,
      });
    }
    return listed;
  }

  /** Deletes the owner's sessions but the one at `except`, and returns their keys. */
  deleteOwned(owner: string, except: string | undefined): string[] {
    const now = this.#begin();
    const deleted: string[] = [];
    for (const session of this.#ownedBy(owner, now)) {
      if (session.key === except) continue;
      this.#remove(session);
      deleted.push(session.key);
    }
    return deleted;
  }

  /** Drops every session. */
  clear(): void {
    this.#owners.clear();
    this.#sessions.clear();
    this.#oldest = undefined;
    this.#newest = undefined;
    this.#heap.clear();
  }

  /** Every call starts here: read the clock once, then purge a few sessions that are due. */
  #begin(): number {
    const now = this.now();
    this.#purge(now, PURGE_BUDGET);
    return now;
  }

  #purge(now: number, budget: number): void {
    for (let popped = 0; popped < budget; popped++) {
      const top = this.#heap.peek();
      if (top === undefined || top.at > now) return;
      this.#heap.pop();
      const session = top.item;
      if (this.#sessions.get(session.key) !== session) continue;
      const expiry = expiryOf(session);
      if (expiry !== null && expiry <= now) this.#remove(session);
      else if (expiry !== null) this.#heap.push(expiry, session);
    }
  }

  /** The live session at `key`, purging it if it has expired. */
  #live(key: string, now: number): Session | undefined {
    const session = this.#sessions.get(key);
    if (session === undefined) return undefined;
    if (isLive(session, now)) return session;
    this.#remove(session);
    return undefined;
  }

  /** {@link #live}, and mark the session most recently used. */
  #use(key: string, now: number): Session | undefined {
    const session = this.#live(key, now);
    if (session !== undefined) this.#touch(session);
    return session;
  }

  #touch(session: Session): void {
    if (this.#newest === session) return;
    this.#unlink(session);
    this.#link(session);
  }

  #link(session: Session): void {
    session.older = this.#newest;
    session.newer = undefined;
    if (this.#newest === undefined) this.#oldest = session;
    else this.#newest.newer = session;
    this.#newest = session;
  }

  #unlink(session: Session): void {
    const { older, newer } = session;
    if (older === undefined) this.#oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.#newest = older;
    else newer.older = older;
    session.older = undefined;
    session.newer = undefined;
  }

  #remove(session: Session): void {
    this.#sessions.delete(session.key);
    this.#unlink(session);
    this.#unbind(session);
  }

  /** The owner's live sessions, purging the expired ones met on the way. */
  #ownedBy(owner: string, now: number): Session[] {
    const live: Session[] = [];
    for (const session of this.#owners.get(owner) ?? []) {
      if (isLive(session, now)) live.push(session);
      else this.#remove(session);
    }
    return live;
  }

  #bind(session: Session, owner: string): void {
    this.#unbind(session);
    session.owner = owner;
    const owned = this.#owners.get(owner);
    if (owned === undefined) this.#owners.set(owner, new Set([session]));
    else owned.add(session);
  }

  #unbind(session: Session): void {
    if (session.owner === undefined) return;
    const owned = this.#owners.get(session.owner);
    owned?.delete(session);
    if (owned?.size === 0) this.#owners.delete(session.owner);
  }

  #upsert(key: string, entries: readonly FieldWrite[], options: WriteOptions): SessionTtl | null {
    const now = this.#begin();
    return this.#write(this.#use(key, now), key, entries, options, now);
  }

  /** Writes to `session`, or creates it at `key` when it is missing and `create` allows. */
  #write(
    session: Session | undefined,
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
    now: number,
  ): SessionTtl | null {
    if (session !== undefined) {
      this.#assertRoom(session, entries, options.limits, now);
      applyWrites(session, entries, options.idleMs, now);
      return { ttlMs: remaining(expiryOf(session), now) };
    }
    if (!options.create) return null;
    assertWithinLimits(new Map(), entries, options.limits, () => false);
    this.#makeRoom(now);
    const created: Session = {
      key,
      fields: new Map(),
      createdAt: now,
      deadline: options.absoluteMs === undefined ? null : now + options.absoluteMs,
      expiresAt: now,
      owner: undefined,
      lastActiveAt: now,
      older: undefined,
      newer: undefined,
    };
    applyWrites(created, entries, options.idleMs, now);
    this.#sessions.set(key, created);
    if (options.owner !== undefined) this.#bind(created, options.owner);
    this.#link(created);
    this.#index(created);
    return { ttlMs: remaining(expiryOf(created), now) };
  }

  #assertRoom(
    session: Session,
    entries: readonly FieldWrite[],
    limits: SessionLimits | undefined,
    now: number,
  ): void {
    assertWithinLimits(session.fields, entries, limits, (name) => {
      return liveField(session, name, now) !== undefined;
    });
  }

  #makeRoom(now: number): void {
    if (this.#sessions.size < this.maxSessions) return;
    // Expired sessions go before any live one is evicted. Draining all that are due costs one
    // pop per due entry, which ordinary calls would have paid anyway.
    this.#purge(now, Number.POSITIVE_INFINITY);
    while (this.#sessions.size >= this.maxSessions && this.#oldest !== undefined) {
      this.#remove(this.#oldest);
    }
  }

  #index(session: Session): void {
    const expiry = expiryOf(session);
    if (expiry === null) return;
    this.#heap.push(expiry, session);
    if (this.#heap.size > 2 * this.#sessions.size + HEAP_SLACK) this.#reindex();
  }

  #reindex(): void {
    const entries: ExpiryEntry<Session>[] = [];
    for (const session of this.#sessions.values()) {
      const at = expiryOf(session);
      if (at !== null) entries.push({ at, item: session });
    }
    this.#heap.rebuild(entries);
  }
}
