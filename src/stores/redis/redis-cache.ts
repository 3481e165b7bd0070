/**
 * `RedisStore` as a session cache: the typed calls of `redis-cache-scripts.ts`, each one script,
 * so one round trip and atomic. Values travel as bytes; only names and numbers are decoded.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { CachedSession, CacheStep, CopyChange, CopyUpdate } from '../../core/session-cache.ts';
import type {
  FieldTtl,
  FieldWrite,
  InsertResult,
  StoredField,
  StoredSession,
} from '../../core/store-contract.ts';
import { EVICT, FILL_COPY, READ_COPY, UPDATE_COPY, WRITE_LOCAL } from './redis-cache-scripts.ts';

type Arg = string | Buffer;
type ScriptCall = (...args: Arg[]) => Promise<unknown>;

const TOKEN = '\0t';
const LEASE_END = '\0l';
const CREATED = '\0c';
const ENDS = '\0e';
const DEADLINE = '\0d';
const EXPIRES = '\0x';

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
    this.#read = script(client, 'read_copy', READ_COPY, 2);
    this.#fill = script(client, 'fill_copy', FILL_COPY, 2);
    this.#update = script(client, 'update_copy', UPDATE_COPY, 2);
    this.#writeLocal = script(client, 'write_local', WRITE_LOCAL, 2);
    this.#evict = script(client, 'evict', EVICT, 3);
  }

  async read(key: string): Promise<CachedSession> {
    const [now, copyHash, localHash] = (await this.#read(...this.#keys(key))) as [
      number,
      Buffer[],
      Buffer[],
    ];
    const copy = pairsOf(copyHash);
    const token = copy.get(TOKEN)?.toString() ?? '';
    const leaseEnd = numberOf(copy.get(LEASE_END));
    const created = numberOf(copy.get(CREATED));
    const live = leaseEnd !== null && leaseEnd > now && created !== null;
    return {
      token,
      copy: live
        ? {
            createdAt: created,
            ttlMs: remaining(numberOf(copy.get(ENDS)), now),
            maxTtlMs: remaining(numberOf(copy.get(DEADLINE)), now),
            fields: fieldsOf(copy, now),
          }
        : undefined,
      local: fieldsOf(pairsOf(localHash), now),
    };
  }

  async fill(key: string, session: StoredSession, step: CacheStep): Promise<boolean> {
    const args: Arg[] = [
      step.expected,
      step.next,
      whole(step.leaseMs),
      String(session.createdAt),
      session.ttlMs === null ? '' : whole(session.ttlMs),
      session.maxTtlMs === null ? '' : whole(session.maxTtlMs),
    ];
    for (const [name, field] of session.fields) {
      args.push(name, bytes(field.value), field.ttlMs === null ? '' : whole(field.ttlMs));
    }
    return (await this.#fill(...this.#keys(key), ...args)) === 1;
  }

  async update(key: string, change: CopyChange, step: CacheStep): Promise<CopyUpdate> {
    const removing = change.remove ?? [];
    const ttl = change.ttlMs === undefined ? '-' : change.ttlMs === null ? '' : whole(change.ttlMs);
    const [applied, removed] = (await this.#update(
      ...this.#keys(key),
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
  ): Promise<InsertResult | null> {
    const reply = (await this.#writeLocal(
      ...this.#keys(key),
      ifAbsent ? '1' : '0',
      ...entryArgs(entries),
    )) as -1 | [number, number];
    if (reply === -1) return null;
    return { written: reply[0] === 1, ttlMs: reply[1] < 0 ? null : reply[1] };
  }

  async evict(key: string, next: string, leaseMs: number, moveTo?: string): Promise<void> {
    const [copyKey, localKey] = this.#keys(key);
    const target = moveTo === undefined ? localKey : this.#keys(moveTo)[1];
    await this.#evict(copyKey, localKey, target, next, whole(leaseMs), moveTo ? '1' : '0');
  }

  /** The copy hash and the local hash of a key, both under the session's hash tag. */
  #keys(key: string): [string, string] {
    const base = this.redisKey(key);
    return [`${base}~copy`, `${base}~local`];
  }
}

/** Registers a script as `RedisStore` does its own, named by a hash of its source. */
function script(client: Redis | Cluster, name: string, lua: string, keys: number): ScriptCall {
  const command = `ruts_${name}_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
  client.defineCommand(command, { lua, numberOfKeys: keys });
  const method = (client as unknown as Record<string, ScriptCall>)[`${command}Buffer`];
  if (method === undefined) throw new TypeError(`ioredis did not define ${command}`);
  return (...args) => method.apply(client, args);
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

function pairsOf(flat: Buffer[]): Map<string, Buffer> {
  const pairs = new Map<string, Buffer>();
  for (let i = 0; i < flat.length; i += 2) {
    pairs.set((flat[i] as Buffer).toString(), flat[i + 1] as Buffer);
  }
  return pairs;
}

function numberOf(bytes: Buffer | undefined): number | null {
  return bytes === undefined ? null : Number(bytes.toString('latin1'));
}

function remaining(at: number | null, now: number): number | null {
  return at === null ? null : Math.max(0, at - now);
}

/** The hash's live fields: every name not starting with NUL, with its `\0x` expiry if any. */
function fieldsOf(hash: Map<string, Buffer>, now: number): Map<string, StoredField> {
  const fields = new Map<string, StoredField>();
  for (const [name, value] of hash) {
    if (name.charCodeAt(0) === 0) continue;
    const expires = numberOf(hash.get(EXPIRES + name));
    if (expires !== null && expires <= now) continue;
    fields.set(name, { value: new Uint8Array(value), ttlMs: remaining(expires, now) });
  }
  return fields;
}
