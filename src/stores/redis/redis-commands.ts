/**
 * The session scripts as typed calls on an ioredis client: registering them, encoding their
 * arguments and decoding their replies. Everything travels as bytes; only field names and numbers
 * are decoded, and only here.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type {
  ExpireMode,
  FieldTtl,
  FieldWrite,
  InsertResult,
  OwnedStoredSession,
  RenameResult,
  SessionLimits,
  SessionTtl,
  StoredField,
  StoredSession,
} from '../../core/store-contract.ts';
import { copyValues } from '../copied-values.ts';
import { limitRefusal } from '../limit-refusal.ts';
import { tombstoneKey } from './redis-keys.ts';
import {
  type FieldTtlMode,
  type ScriptName,
  type ScriptSource,
  sessionScripts,
} from './redis-scripts.ts';

type Arg = string | Buffer;
/** A registered script: its arguments (keys first), its reply. */
export type ScriptCall = (...args: Arg[]) => Promise<unknown>;

/** Options of a write, in the form the write script takes them. */
export interface WriteArgs {
  readonly create: boolean;
  readonly idleMs: number;
  readonly absoluteMs?: number;
  /** Write only if the first entry's field is absent. */
  readonly ifAbsent: boolean;
  readonly limits?: SessionLimits | undefined;
  /** The owner to bind the session to if this write creates it. */
  readonly owner?: string | undefined;
  /** When the owner's index entry for the key was added, by the index server's clock. */
  readonly indexedAt?: number | undefined;
}

/** A write's reply when it would create a bound session whose index entry is not yet added. */
export const INDEX_FIRST = 'index-first';

/**
 * The owner side of a rename: `bind` gives the session `owner`; otherwise the session keeps its
 * owner, which must be `owner` ('' for none), or the rename replies `{ status: 'owned' }` with
 * the one it has. A bound session's index entry for the new key was added at `indexedAt`.
 */
export interface RenameOwner {
  readonly owner: string;
  readonly bind: boolean;
  readonly indexedAt?: number | undefined;
}

/** A rename's reply when the session's owner is not the one expected. */
export interface OwnedElsewhere {
  readonly status: 'owned';
  /** The owner the session has; `''` for none. */
  readonly owner: string;
}

/** A session as an index pass lists it. */
export type ListedSession = Omit<OwnedStoredSession, 'key'>;

/** The store's operations, each one script call, so one round trip. */
export interface SessionCommands {
  readonly mode: FieldTtlMode;
  getAll(key: string): Promise<StoredSession | undefined>;
  write(
    key: string,
    entries: readonly FieldWrite[],
    args: WriteArgs,
  ): Promise<InsertResult | null | typeof INDEX_FIRST>;
  rename(
    from: string,
    to: string,
    entries: readonly FieldWrite[],
    idleMs: number,
    limits: SessionLimits | undefined,
    owner?: RenameOwner,
  ): Promise<RenameResult | OwnedElsewhere>;
  expire(key: string, ttlMs: FieldTtl, mode: ExpireMode): Promise<SessionTtl | null>;
  remove(key: string, field: string): Promise<boolean>;
  take(key: string, field: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<boolean>;
  /** The session if it is live and bound to `owner`, with its live fields among `fields`. */
  listOwned(
    key: string,
    owner: string,
    fields: readonly string[],
  ): Promise<ListedSession | undefined>;
  /** Deletes the session if it is live and bound to `owner`; resolves whether it did. */
  deleteOwned(key: string, owner: string): Promise<boolean>;
}

/**
 * Registers the scripts of `mode` on `client` with `defineCommand`. ioredis sends a script's
 * source once per connection and `EVALSHA` after that, and resends the source when a server
 * answers `NOSCRIPT`, so a restarted, flushed or failed-over server gets the scripts back by itself.
 * Command names carry a hash of the script, so two versions of ruts (or both modes) can share a
 * client without replacing each other's scripts.
 */
export function defineSessionCommands(
  client: Redis | Cluster,
  mode: FieldTtlMode,
): SessionCommands {
  const scripts = sessionScripts(mode);
  const call = (name: ScriptName): ScriptCall => defineScript(client, name, scripts[name]);
  const run = {
    getAll: call('getAll'),
    write: call('write'),
    rename: call('rename'),
    expire: call('expire'),
    remove: call('remove'),
    take: call('take'),
    delete: call('delete'),
    owned: call('owned'),
  };

  return {
    mode,
    async getAll(key) {
      return decodeSession(await run.getAll(key));
    },
    async write(key, entries, args) {
      const reply = (await run.write(
        key,
        tombstoneKey(key),
        flag(args.create),
        duration(args.idleMs),
        args.absoluteMs === undefined ? '' : duration(args.absoluteMs),
        flag(args.ifAbsent),
        ...limitArgs(args.limits),
        args.owner ?? '',
        args.indexedAt === undefined ? '' : String(args.indexedAt),
        ...entryArgs(entries),
      )) as [status: number, ttl?: number | Buffer];
      if (reply[0] === 0) return null;
      if (reply[0] === 6) return INDEX_FIRST;
      if (reply[0] === 4) throw limitRefusal(reply[1], args.limits, entries);
      return { written: reply[0] === 1, ttlMs: ttlOf(reply[1] as number) };
    },
    async rename(from, to, entries, idleMs, limits, owner = KEEP_NO_OWNER) {
      const reply = (await run.rename(
        from,
        to,
        tombstoneKey(to),
        duration(idleMs),
        ...limitArgs(limits),
        owner.owner,
        owner.bind ? 'b' : 'k',
        owner.indexedAt === undefined ? '' : String(owner.indexedAt),
        ...entryArgs(entries),
      )) as [status: number, ttl?: number | Buffer];
      if (reply[0] === 0) return { status: 'missing' };
      if (reply[0] === 4) throw limitRefusal(reply[1], limits, entries);
      if (reply[0] === 3) return { status: 'collision' };
      if (reply[0] === 5) return { status: 'owned', owner: String(reply[1]) };
      return { status: 'renamed', ttlMs: ttlOf(reply[1] as number) };
    },
    async expire(key, ttlMs, expireMode) {
      const ttl = ttlMs === 'persistent' ? 'p' : duration(ttlMs);
      const reply = (await run.expire(key, ttl, expireMode === 'set' ? 's' : 'x')) as number | null;
      return reply === null ? null : { ttlMs: ttlOf(reply) };
    },
    async remove(key, field) {
      return (await run.remove(key, field)) === 1;
    },
    async take(key, field) {
      return bytesOrUndefined(await run.take(key, field));
    },
    async delete(key) {
      return (await run.delete(key)) === 1;
    },
    async listOwned(key, owner, fields) {
      return decodeListed(await run.owned(key, tombstoneKey(key), owner, 'l', ...fields), fields);
    },
    async deleteOwned(key, owner) {
      const [deleted] = (await run.owned(key, tombstoneKey(key), owner, 'd')) as [number];
      return deleted === 1;
    },
  };
}

/** What a rename without an owner expects: a session bound to none. */
const KEEP_NO_OWNER: RenameOwner = { owner: '', bind: false };

/**
 * Registers `script` on `client` as `ruts_<name>_<hash of the source>` and returns its call. The
 * Buffer variant keeps replies as bytes: values are never decoded as text.
 */
export function defineScript(
  client: Redis | Cluster,
  name: string,
  { lua, numberOfKeys }: ScriptSource,
): ScriptCall {
  const command = `ruts_${name}_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
  client.defineCommand(command, { lua, numberOfKeys });
  const method = (client as unknown as Record<string, ScriptCall>)[`${command}Buffer`];
  if (method === undefined) throw new TypeError(`ioredis did not define ${command}`);
  return (...args) => method.apply(client, args);
}

function flag(value: boolean): string {
  return value ? '1' : '0';
}

/** Whole milliseconds: `PEXPIREAT` takes integers, and rounding up never ends anything early. */
function duration(ms: number): string {
  return String(Math.ceil(ms));
}

/**
 * Values are copied into the arguments, so a caller changing its buffer while the command waits
 * in a pipeline or the offline queue cannot change what is stored.
 */
function entryArgs(entries: readonly FieldWrite[]): Arg[] {
  const args: Arg[] = [];
  for (const { field, value, ttlMs } of entries) {
    const ttl = ttlMs === undefined ? '' : ttlMs === 'persistent' ? 'p' : duration(ttlMs);
    args.push(field, Buffer.from(value), ttl);
  }
  return args;
}

function limitArgs(limits: SessionLimits | undefined): [string, string] {
  return limits === undefined
    ? ['', '']
    : [String(limits.maxFields), String(limits.maxSessionBytes)];
}

/** Scripts report a persistent session as -1: a live session always has some time left. */
function ttlOf(reply: number | undefined): number | null {
  return reply === undefined || reply === -1 ? null : reply;
}

/**
 * Reply buffers may be views into a pool that ioredis's parser shares between replies, so each
 * value is copied out: the caller gets memory of its own, and a small value does not pin the pool.
 */
function bytesOrUndefined(reply: unknown): Uint8Array | undefined {
  return reply instanceof Uint8Array ? new Uint8Array(reply) : undefined;
}

const NUL = 0;
const META_CREATED = 0x63; // 'c'
const META_EXPIRES = 0x65; // 'e'
const META_DEADLINE = 0x64; // 'd'
const META_FIELD_TTL = 0x74; // 't'
const META_OWNER = 0x6f; // 'o'

/**
 * Turns `{now, HGETALL[, HPEXPIRETIME...]}` into the session as the contract reports it. The
 * emulated read script does not clean up, so this is where a session past its end, or a field
 * past its own TTL, stops being returned.
 */
export function decodeSession(reply: unknown): StoredSession | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [now, all, nativeExpiry] = reply as [number, Buffer[], number[] | undefined];
  let createdAt = Number.NaN;
  let expiresAt: number | null = null;
  let deadline: number | null = null;
  let own: Map<string, number> | undefined;
  let owner: string | undefined;
  const storedNames: string[] = [];
  const storedValues: Buffer[] = [];
  for (let i = 0; i < all.length; i += 2) {
    const name = all[i] as Buffer;
    const value = all[i + 1] as Buffer;
    if (name[0] !== NUL) {
      storedNames.push(name.toString('utf8'));
      storedValues.push(value);
      continue;
    }
    switch (name[1]) {
      case META_CREATED:
        createdAt = integer(value);
        break;
      case META_EXPIRES:
        expiresAt = integer(value);
        break;
      case META_DEADLINE:
        deadline = integer(value);
        break;
      case META_FIELD_TTL:
        own ??= new Map();
        own.set(name.toString('utf8', 2), integer(value));
        break;
      case META_OWNER:
        owner = value.toString('utf8');
        break;
    }
  }
  // No creation time: no session (an absent key replies with an empty hash).
  if (Number.isNaN(createdAt)) return undefined;
  const end =
    expiresAt === null ? deadline : deadline === null ? expiresAt : Math.min(expiresAt, deadline);
  if (end !== null && end <= now) return undefined;
  // Expired fields are rare (the next write purges them), so copying them too keeps this simple.
  const copies = copyValues(storedValues);
  const fields = new Map<string, StoredField>();
  // Index loops: this runs for every field of every read.
  for (let i = 0; i < storedNames.length; i++) {
    const name = storedNames[i] as string;
    const native = nativeExpiry?.[i];
    const expiry = native !== undefined && native > 0 ? native : (own?.get(name) ?? null);
    if (expiry !== null && expiry <= now) continue;
    // A field cannot outlive its session, so its reported ttl is capped by the session's.
    const ttlMs = expiry === null ? null : Math.min(expiry, end ?? Number.POSITIVE_INFINITY) - now;
    fields.set(name, { value: copies[i] as Uint8Array, ttlMs });
  }
  const session: { -readonly [K in keyof StoredSession]: StoredSession[K] } = {
    fields,
    ttlMs: end === null ? null : end - now,
    maxTtlMs: deadline === null ? null : deadline - now,
    createdAt,
  };
  // Absent rather than undefined for a session without one, as the contract has it.
  if (owner !== undefined) session.owner = owner;
  return session;
}

/**
 * Turns the owned script's list reply, `{1, now, created, ttl, last active, value, expiry, ...}`
 * with -1 for none and a value per name in `names`, into the session as listed; `{0}` is a
 * session that is not the owner's.
 */
function decodeListed(reply: unknown, names: readonly string[]): ListedSession | undefined {
  const [found, now, createdAt, ttl, lastActive, ...pairs] = reply as [
    number,
    number,
    number,
    number,
    number,
    ...(Buffer | number | null)[],
  ];
  if (found !== 1) return undefined;
  const end = ttl === -1 ? null : now + ttl;
  const fields = new Map<string, StoredField>();
  for (const [i, name] of names.entries()) {
    const value = pairs[2 * i];
    const expiry = pairs[2 * i + 1] as number;
    if (!(value instanceof Uint8Array) || (expiry !== -1 && expiry <= now)) continue;
    // As in a full read: a field cannot outlive its session.
    const ttlMs = expiry === -1 ? null : Math.min(expiry, end ?? Number.POSITIVE_INFINITY) - now;
    fields.set(name, { value: new Uint8Array(value), ttlMs });
  }
  return {
    createdAt,
    ttlMs: end === null ? null : ttl,
    lastActiveAt: lastActive === -1 ? null : lastActive,
    fields,
  };
}

/**
 * The scripts write metadata as Lua integers, which are decimal digits; parsing the bytes
 * directly saves a string per value on every read. Anything else goes through `Number`.
 */
export function integer(bytes: Buffer): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const digit = (bytes[i] as number) - 0x30;
    if (digit < 0 || digit > 9 || i >= 15) return Number(bytes.toString('latin1'));
    n = n * 10 + digit;
  }
  return bytes.length === 0 ? Number.NaN : n;
}
