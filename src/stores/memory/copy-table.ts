/**
 * The session cache of one `MemoryStore` name: copies of another store's sessions, their tokens
 * and local fields (see `SessionCache` in `src/core/session-cache.ts`). Calls are synchronous,
 * so each is atomic; `MemoryStore` makes them promises. The table holds at most `maxSessions`
 * keys and forgets the oldest created beyond that, as a cache may; until the tokens it forgot
 * would have expired, a key it holds nothing for then reads with a token that names the
 * eviction, so no fill prepared before it can act.
 *
 * @packageDocumentation
 */

import type { CachedSession, CacheStep, CopyChange, CopyUpdate } from '../../core/session-cache.ts';
import type {
  FieldTtl,
  FieldWrite,
  InsertResult,
  SessionLimits,
  StoredField,
  StoredSession,
} from '../../core/store-contract.ts';
import { assertWithinLimits, copy as copyBytes, remaining } from './memory-session.ts';

/** Local fields outlive their copy no longer than this when the session has no end. */
const LOCAL_MAX_MS = 24 * 60 * 60_000;

interface Value {
  readonly value: Uint8Array;
  /** Epoch ms, or `null` for as long as the session. */
  readonly expiresAt: number | null;
}

interface Copy {
  readonly createdAt: number;
  expiresAt: number | null;
  readonly deadline: number | null;
  readonly owner: string | undefined;
  readonly fields: Map<string, Value>;
  /** The copy is trusted until then: never past its lease, its session's or a field's end. */
  leaseEnd: number;
}

interface Entry {
  token: string;
  /** The token is kept at least until then. */
  tokenUntil: number;
  copy: Copy | undefined;
  readonly local: Map<string, Value>;
  localUntil: number;
}

export class CopyTable {
  readonly #entries = new Map<string, Entry>();
  /** Evictions so far, and until when the tokens they dropped would have been kept. */
  #evictions = 0;
  #evictedUntil = 0;

  constructor(
    readonly maxSessions: number,
    readonly now: () => number,
  ) {}

  read(key: string): CachedSession {
    const now = this.now();
    const entry = this.#live(key, now);
    if (entry === undefined) return { token: this.#absent(now), copy: undefined, local: new Map() };
    const copy = entry.copy && entry.copy.leaseEnd > now ? entry.copy : undefined;
    return {
      token: entry.token,
      copy: copy && {
        createdAt: copy.createdAt,
        ttlMs: remaining(copy.expiresAt, now),
        maxTtlMs: remaining(copy.deadline, now),
        fields: stored(copy.fields, now),
        ...(copy.owner === undefined ? {} : { owner: copy.owner }),
      },
      local: entry.localUntil > now ? stored(entry.local, now) : new Map(),
    };
  }

  fill(key: string, session: StoredSession, step: CacheStep): boolean {
    const now = this.now();
    const entry = this.#live(key, now);
    if ((entry?.token ?? this.#absent(now)) !== step.expected) return false;
    const fields = new Map<string, Value>();
    let leaseEnd = now + step.leaseMs;
    for (const [name, field] of session.fields) {
      const expiresAt = field.ttlMs === null ? null : now + field.ttlMs;
      if (expiresAt !== null) leaseEnd = Math.min(leaseEnd, expiresAt);
      fields.set(name, { value: copyBytes(field.value), expiresAt });
    }
    const copy: Copy = {
      createdAt: session.createdAt,
      expiresAt: session.ttlMs === null ? null : now + session.ttlMs,
      deadline: session.maxTtlMs === null ? null : now + session.maxTtlMs,
      owner: session.owner,
      fields,
      leaseEnd,
    };
    copy.leaseEnd = Math.min(leaseEnd, sessionEnd(copy) ?? leaseEnd);
    const target = entry ?? this.#insert(key);
    target.copy = copy;
    target.localUntil = Math.max(target.localUntil, localEnd(copy, now));
    this.#install(target, step, now);
    return true;
  }

  update(key: string, change: CopyChange, step: CacheStep): CopyUpdate {
    const now = this.now();
    const entry = this.#live(key, now) ?? this.#insert(key);
    const removed = new Map<string, Uint8Array>();
    for (const name of change.remove ?? []) {
      const local = entry.local.get(name);
      if (local && isLive(local, now)) removed.set(name, local.value);
      entry.local.delete(name);
    }
    for (const { field } of change.set ?? []) entry.local.delete(field);
    const copy = entry.copy;
    const applies = entry.token === step.expected && copy !== undefined && copy.leaseEnd > now;
    if (applies) {
      for (const name of change.remove ?? []) copy.fields.delete(name);
      for (const { field, value, ttlMs } of change.set ?? []) {
        const expiresAt = expiryOf(ttlMs, now);
        if (expiresAt !== null) copy.leaseEnd = Math.min(copy.leaseEnd, expiresAt);
        copy.fields.set(field, { value: copyBytes(value), expiresAt });
      }
      if (change.ttlMs !== undefined) {
        copy.expiresAt = change.ttlMs === null ? null : now + change.ttlMs;
        copy.leaseEnd = Math.min(copy.leaseEnd, sessionEnd(copy) ?? copy.leaseEnd);
        entry.localUntil = Math.max(entry.localUntil, localEnd(copy, now));
      }
    } else {
      entry.copy = undefined;
    }
    this.#install(entry, step, now);
    return { applied: applies, removed };
  }

  writeLocal(
    key: string,
    entries: readonly FieldWrite[],
    ifAbsent: boolean,
    limits?: SessionLimits,
  ): InsertResult | null {
    const now = this.now();
    const entry = this.#live(key, now);
    const copy = entry?.copy;
    if (entry === undefined || copy === undefined || copy.leaseEnd <= now) return null;
    const ttlMs = remaining(sessionEnd(copy), now);
    if (ifAbsent) {
      const name = entries[0]?.field ?? '';
      const local = entry.local.get(name);
      if ((local && isLive(local, now)) || copy.fields.has(name)) return { written: false, ttlMs };
    }
    if (limits !== undefined) {
      // The session as read: the copy, with the live local fields over it.
      const fields = new Map<string, Value>();
      for (const [name, field] of copy.fields) if (isLive(field, now)) fields.set(name, field);
      for (const [name, local] of entry.local) if (isLive(local, now)) fields.set(name, local);
      assertWithinLimits(fields, entries, limits, (name) => fields.has(name));
    }
    for (const { field, value, ttlMs: fieldTtl } of entries) {
      entry.local.set(field, { value: copyBytes(value), expiresAt: expiryOf(fieldTtl, now) });
    }
    entry.localUntil = Math.max(entry.localUntil, localEnd(copy, now));
    return { written: true, ttlMs };
  }

  evict(key: string, next: string, leaseMs: number, moveTo?: string): void {
    const now = this.now();
    const entry = this.#live(key, now) ?? this.#insert(key);
    if (moveTo !== undefined && entry.local.size > 0) {
      const target = this.#live(moveTo, now) ?? this.#insert(moveTo);
      target.local.clear();
      for (const [name, value] of entry.local) target.local.set(name, value);
      target.localUntil = entry.localUntil;
    }
    entry.copy = undefined;
    entry.local.clear();
    entry.localUntil = 0;
    this.#install(entry, { next, leaseMs }, now);
  }

  clear(): void {
    this.#entries.clear();
  }

  #install(entry: Entry, step: Pick<CacheStep, 'next' | 'leaseMs'>, now: number): void {
    entry.token = step.next;
    entry.tokenUntil = Math.max(entry.tokenUntil, now + step.leaseMs);
  }

  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (Math.max(entry.tokenUntil, entry.localUntil) > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** The token of a key the table holds nothing for: `''`, unless an eviction may have dropped it. */
  #absent(now: number): string {
    return now < this.#evictedUntil ? `evicted:${this.#evictions}` : '';
  }

  #insert(key: string): Entry {
    if (this.#entries.size >= this.maxSessions) {
      const [oldest, victim] = this.#entries.entries().next().value ?? [];
      if (oldest !== undefined && victim !== undefined) {
        this.#entries.delete(oldest);
        this.#evictions++;
        this.#evictedUntil = Math.max(this.#evictedUntil, victim.tokenUntil);
      }
    }
    const entry: Entry = {
      token: '',
      tokenUntil: 0,
      copy: undefined,
      local: new Map(),
      localUntil: 0,
    };
    this.#entries.set(key, entry);
    return entry;
  }
}

function isLive(value: Value, now: number): boolean {
  return value.expiresAt === null || value.expiresAt > now;
}

function expiryOf(ttl: FieldTtl | undefined, now: number): number | null {
  return typeof ttl === 'number' ? now + ttl : null;
}

function sessionEnd(copy: Copy): number | null {
  if (copy.expiresAt === null) return copy.deadline;
  return copy.deadline === null ? copy.expiresAt : Math.min(copy.expiresAt, copy.deadline);
}

/** How long local fields of the copy's session are kept. */
function localEnd(copy: Copy, now: number): number {
  return Math.min(sessionEnd(copy) ?? Number.POSITIVE_INFINITY, now + LOCAL_MAX_MS);
}

function stored(values: ReadonlyMap<string, Value>, now: number): Map<string, StoredField> {
  const fields = new Map<string, StoredField>();
  for (const [name, { value, expiresAt }] of values) {
    if (expiresAt === null || expiresAt > now) {
      fields.set(name, { value: copyBytes(value), ttlMs: remaining(expiresAt, now) });
    }
  }
  return fields;
}
