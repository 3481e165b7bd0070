/**
 * `RedisStore` as a session cache: the typed calls of `redis-cache-scripts.ts`, each one script,
 * so one round trip and atomic. Values travel as bytes; only names and numbers are decoded.
 *
 * @packageDocumentation
 */

import type { Cluster, Redis } from 'ioredis';
import type { CachedSession, CacheStep, CopyChange, CopyUpdate } from '../../core/session-cache.ts';
import type {
  FieldTtl,
  FieldWrite,
  InsertResult,
  SessionLimits,
  StoredField,
  StoredSession,
} from '../../core/store-contract.ts';
import { copyValues } from '../copied-values.ts';
import { limitRefusal } from '../limit-refusal.ts';
import { EVICT, FILL_COPY, READ_COPY, UPDATE_COPY, WRITE_LOCAL } from './redis-cache-scripts.ts';
import { defineScript, integer, type ScriptCall } from './redis-commands.ts';

type Arg = string | Buffer;

/** The second byte of each metadata name (the first is NUL); see `redis-cache-scripts.ts`. */
const TOKEN = 0x74; // 't'
const LEASE_END = 0x6c; // 'l'
const CREATED = 0x63; // 'c'
const ENDS = 0x65; // 'e'
const DEADLINE = 0x64; // 'd'
const EXPIRES = 0x78; // 'x'
const LOCAL = 0x4c; // 'L'
const LOCAL_EXPIRES = 0x79; // 'y'
const OWNER = 0x6f; // 'o'

/** The cache calls of one client and key prefix. */
export class RedisCache {
  readonly #read: ScriptCall;
  readonly #fill: ScriptCall;
  readonly #update: ScriptCall;
  readonly #writeLocal: ScriptCall;
  readonly #evict: ScriptCall;

  constructor(
    client: Redis | Cluster,
    /** Maps a store key to the Redis key of its session, hash tag included. */
    readonly redisKey: (key: string) => string,
  ) {
    this.#read = defineScript(client, 'read_copy', { lua: READ_COPY, numberOfKeys: 1 });
    this.#fill = defineScript(client, 'fill_copy', { lua: FILL_COPY, numberOfKeys: 1 });
    this.#update = defineScript(client, 'update_copy', { lua: UPDATE_COPY, numberOfKeys: 1 });
    this.#writeLocal = defineScript(client, 'write_local', { lua: WRITE_LOCAL, numberOfKeys: 1 });
    this.#evict = defineScript(client, 'evict', { lua: EVICT, numberOfKeys: 2 });
  }

  read(key: string): Promise<CachedSession> {
    // A callback rather than async/await: this runs on every hot hit, and saves a promise.
    return this.#read(this.#hash(key)).then(decodeCached);
  }

  async fill(key: string, session: StoredSession, step: CacheStep): Promise<boolean> {
    const args: Arg[] = [
      step.expected,
      step.next,
      whole(step.leaseMs),
      String(session.createdAt),
      session.ttlMs === null ? '' : whole(session.ttlMs),
      session.maxTtlMs === null ? '' : whole(session.maxTtlMs),
      session.owner ?? '',
    ];
    for (const [name, field] of session.fields) {
      args.push(name, bytes(field.value), field.ttlMs === null ? '' : whole(field.ttlMs));
    }
    return (await this.#fill(this.#hash(key), ...args)) === 1;
  }

  async update(key: string, change: CopyChange, step: CacheStep): Promise<CopyUpdate> {
    const removing = change.remove ?? [];
    const ttl = change.ttlMs === undefined ? '-' : change.ttlMs === null ? '' : whole(change.ttlMs);
    const [applied, removed] = (await this.#update(
      this.#hash(key),
      step.expected,
      step.next,
      whole(step.leaseMs),
      ttl,
      String(removing.length),
      ...removing,
      ...entryArgs(change.set ?? []),
    )) as [number, Buffer[]];
    const values = new Map<string, Uint8Array>();
    for (let i = 0; i < removed.length; i += 2) {
      values.set((removed[i] as Buffer).toString(), new Uint8Array(removed[i + 1] as Buffer));
    }
    return { applied: applied === 1, removed: values };
  }

  async writeLocal(
    key: string,
    entries: readonly FieldWrite[],
    ifAbsent: boolean,
    limits?: SessionLimits,
  ): Promise<InsertResult | null> {
    const reply = (await this.#writeLocal(
      this.#hash(key),
      ifAbsent ? '1' : '0',
      limits === undefined ? '' : String(limits.maxFields),
      limits === undefined ? '' : String(limits.maxSessionBytes),
      ...entryArgs(entries),
    )) as -1 | [number, number | Buffer];
    if (reply === -1) return null;
    if (reply[0] === 4) throw limitRefusal(reply[1], limits, entries);
    const ttlMs = reply[1] as number;
    return { written: reply[0] === 1, ttlMs: ttlMs < 0 ? null : ttlMs };
  }

  async evict(key: string, next: string, leaseMs: number, moveTo?: string): Promise<void> {
    const hash = this.#hash(key);
    const target = moveTo === undefined ? hash : this.#hash(moveTo);
    await this.#evict(hash, target, next, whole(leaseMs), moveTo ? '1' : '0');
  }

  /** The hash of a key's cached state, under the session's hash tag. */
  #hash(key: string): string {
    return `${this.redisKey(key)}~cache`;
  }
}

/** What most keys hold locally: nothing, shared rather than a new Map per read. */
const NO_FIELDS: ReadonlyMap<string, StoredField> = new Map();

/** The read script's reply: `{now, the hash}`. */
function decodeCached(reply: unknown): CachedSession {
  const [now, flat] = reply as [number, Buffer[]];
  const copy = decodeHash(flat, now);
  const live = copy.leaseEnd !== null && copy.leaseEnd > now && copy.created !== null;
  return {
    token: copy.token,
    copy: live ? copied(copy, now) : undefined,
    local: copy.local ?? NO_FIELDS,
  };
}

/** The session a live copy holds, built as the RedisStore's own reads build it. */
function copied(copy: DecodedHash, now: number): StoredSession {
  const session: { -readonly [K in keyof StoredSession]: StoredSession[K] } = {
    // In the order the RedisStore's own reads build it: one object shape for the core.
    fields: copy.fields,
    ttlMs: remaining(earliest(copy.ends, copy.deadline), now),
    maxTtlMs: remaining(copy.deadline, now),
    createdAt: copy.created as number,
  };
  if (copy.owner !== undefined) session.owner = copy.owner;
  return session;
}

function entryArgs(entries: readonly FieldWrite[]): Arg[] {
  const args: Arg[] = [];
  for (const { field, value, ttlMs } of entries) args.push(field, bytes(value), fieldTtl(ttlMs));
  return args;
}

/** A view of the value's bytes: ioredis sends a Buffer as is, but a plain Uint8Array as text. */
function bytes(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** A field's own TTL as the scripts take it: '' for one that lives as long as its session. */
function fieldTtl(ttl: FieldTtl | undefined): string {
  return typeof ttl === 'number' ? whole(ttl) : '';
}

/** Whole milliseconds, rounded down: a copy never outlives what it copies. */
function whole(ms: number): string {
  return String(Math.max(0, Math.floor(ms)));
}

interface DecodedHash {
  token: string;
  leaseEnd: number | null;
  created: number | null;
  ends: number | null;
  deadline: number | null;
  /** The owner the copied session is bound to, if any. */
  owner: string | undefined;
  fields: Map<string, StoredField>;
  /** The live local fields; `undefined` when there are none. */
  local: Map<string, StoredField> | undefined;
}

/**
 * One pass over a hash as `HGETALL` replies: metadata and local fields (names starting with NUL,
 * told apart by their second byte) and the copy's fields. This runs on every hot hit, so it
 * parses numbers from the bytes and copies values as a plain read does.
 */
function decodeHash(flat: Buffer[], now: number): DecodedHash {
  const hash: DecodedHash = {
    token: '',
    leaseEnd: null,
    created: null,
    ends: null,
    deadline: null,
    owner: undefined,
    fields: new Map(),
    local: undefined,
  };
  let expiries: Map<string, number> | undefined;
  let locals: Map<string, Buffer> | undefined;
  let localExpiries: Map<string, number> | undefined;
  const names: string[] = [];
  const values: Buffer[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as Buffer;
    const value = flat[i + 1] as Buffer;
    if (name[0] !== 0) {
      names.push(name.toString());
      values.push(value);
      continue;
    }
    switch (name[1]) {
      case TOKEN:
        hash.token = value.toString('latin1');
        break;
      case LEASE_END:
        hash.leaseEnd = integer(value);
        break;
      case CREATED:
        hash.created = integer(value);
        break;
      case ENDS:
        hash.ends = integer(value);
        break;
      case DEADLINE:
        hash.deadline = integer(value);
        break;
      case OWNER:
        hash.owner = value.toString();
        break;
      case EXPIRES:
        expiries ??= new Map();
        expiries.set(name.toString('utf8', 2), integer(value));
        break;
      case LOCAL:
        locals ??= new Map();
        locals.set(name.toString('utf8', 2), value);
        break;
      case LOCAL_EXPIRES:
        localExpiries ??= new Map();
        localExpiries.set(name.toString('utf8', 2), integer(value));
        break;
    }
  }
  if (locals !== undefined) hash.local = liveLocals(locals, localExpiries, now);
  const copies = copyValues(values);
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const expires = expiries === undefined ? null : (expiries.get(name) ?? null);
    if (expires !== null && expires <= now) continue;
    hash.fields.set(name, { value: copies[i] as Uint8Array, ttlMs: remaining(expires, now) });
  }
  return hash;
}

/** The local fields whose own expiry, if any, has not passed, their values copied out. */
function liveLocals(
  values: Map<string, Buffer>,
  expiries: Map<string, number> | undefined,
  now: number,
): Map<string, StoredField> | undefined {
  const live = new Map<string, StoredField>();
  for (const [name, value] of values) {
    const expires = expiries?.get(name) ?? null;
    if (expires !== null && expires <= now) continue;
    live.set(name, { value: new Uint8Array(value), ttlMs: remaining(expires, now) });
  }
  return live.size === 0 ? undefined : live;
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.min(a, b);
}

function remaining(at: number | null, now: number): number | null {
  return at === null ? null : Math.max(0, at - now);
}
