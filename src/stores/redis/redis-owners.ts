/**
 * The owner index of `RedisStore`: one set of store keys per owner, in a slot of its own
 * (`redis-keys.ts`). Nothing spans the index and a session atomically, so the order of the steps
 * keeps the guarantees of `OwnedSessionStore`:
 *
 * - A bind adds the key to the index first, then runs the session script that binds it. So a
 *   live bound session's key is always in its owner's index.
 * - A pass over the index (list, revoke, a bind's prune) runs one script per member in the
 *   member's slot. A member that is not a live session of the owner gets a tombstone before it
 *   leaves the index, and a bind onto a tombstoned key is refused: a bind whose index entry a pass
 *   already judged cannot land and leave its session out of the index.
 * - A revoke reads the index again until it shows no member it has not handled. A session
 *   renamed meanwhile added its new key before it moved, so a later read finds it; a rename onto
 *   a key already handled is refused.
 *
 * @packageDocumentation
 */

import type { Cluster, Redis } from 'ioredis';
import type {
  FieldWrite,
  InsertResult,
  OwnedStoredSession,
  RenameResult,
  SessionLimits,
} from '../../core/store-contract.ts';
import {
  defineScript,
  INDEX_FIRST,
  type ScriptCall,
  type SessionCommands,
  type WriteArgs,
} from './redis-commands.ts';
import { ownerIndexKey, pruneMarkKey, sessionKey } from './redis-keys.ts';

/** The smallest index a bind prunes; a prune sets the next at twice what it left. */
const FIRST_PRUNE = 32;
/** A revoke reads the index at most this often before it gives up on binds still arriving. */
export const MAX_REVOKE_PASSES = 100;
/** Members inspected at once in a pass: enough to fill the pipe, few enough not to flood it. */
const BATCH = 100;
/** Times a rename follows a session whose owner changed under it (deleted and recreated). */
const MAX_OWNER_CHANGES = 3;

/**
 * KEYS: the index, its prune mark. ARGV: the key. Replies `{now, 1 when the index has grown to
 * its prune mark}`; `now` is the server's `TIME`, which the bind carries to refuse late arrivals.
 */
const INDEX_ADD = `
local t = redis.call('TIME')
redis.call('SADD', KEYS[1], ARGV[1])
local mark = tonumber(redis.call('GET', KEYS[2])) or ${FIRST_PRUNE}
return {t[1] * 1000 + math.floor(t[2] / 1000), redis.call('SCARD', KEYS[1]) >= mark and 1 or 0}
`;

/**
 * KEYS: the index, its prune mark. ARGV: the members a pass judged, each already dead or with a
 * tombstone. Removes them, sets the next prune at twice the members left, and replies their
 * count. An empty index is no key at all, so the mark goes with it.
 */
const INDEX_FORGET = `
for i = 1, #ARGV, 1000 do
  redis.call('SREM', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
local n = redis.call('SCARD', KEYS[1])
if n == 0 then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2], math.max(2 * n, ${FIRST_PRUNE}))
end
return n
`;

/** The owner index of one client and key prefix. */
export class RedisOwners {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;
  readonly #add: ScriptCall;
  readonly #forget: ScriptCall;

  constructor(client: Redis | Cluster, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
    this.#add = defineScript(client, 'owner_add', { lua: INDEX_ADD, numberOfKeys: 2 });
    this.#forget = defineScript(client, 'owner_forget', { lua: INDEX_FORGET, numberOfKeys: 2 });
  }

  /**
   * A write that creates the session bound to `args.owner`. It tries the write alone first: a
   * session that exists ignores the owner, and needs no index entry. Resolves `null` when the
   * bind is refused, as for a missing session: the caller retries with a fresh key.
   */
  async write(
    commands: SessionCommands,
    key: string,
    entries: readonly FieldWrite[],
    args: WriteArgs & { readonly owner: string },
  ): Promise<InsertResult | null> {
    const redisKey = sessionKey(this.#prefix, key);
    const first = await commands.write(redisKey, entries, args);
    if (first !== INDEX_FIRST) return first;
    const added = await this.#index(args.owner, key);
    const reply = await commands.write(redisKey, entries, { ...args, indexedAt: added.at });
    if (added.prune) await this.#prune(commands, args.owner);
    // Only a write without `indexedAt` asks for the index entry first.
    return reply === INDEX_FIRST ? null : reply;
  }

  /**
   * A rename that binds the session to `owner`, or keeps the owner it has. Keeping it costs
   * nothing for a session without one; a session with one has its new key added to that owner's
   * index before it moves, the script checking it still has that owner.
   */
  async rename(
    commands: SessionCommands,
    from: string,
    to: string,
    entries: readonly FieldWrite[],
    idleMs: number,
    limits: SessionLimits | undefined,
    owner: string | undefined,
  ): Promise<RenameResult> {
    const [fromKey, toKey] = [sessionKey(this.#prefix, from), sessionKey(this.#prefix, to)];
    if (owner !== undefined) {
      const added = await this.#index(owner, to);
      const reply = await commands.rename(fromKey, toKey, entries, idleMs, limits, {
        owner,
        bind: true,
        indexedAt: added.at,
      });
      if (added.prune) await this.#prune(commands, owner);
      return reply as RenameResult;
    }
    let expected = '';
    let indexedAt: number | undefined;
    let pruning: string | undefined;
    for (let attempt = 0; attempt <= MAX_OWNER_CHANGES; attempt++) {
      const reply = await commands.rename(fromKey, toKey, entries, idleMs, limits, {
        owner: expected,
        bind: false,
        indexedAt,
      });
      if (reply.status !== 'owned') {
        if (pruning !== undefined) await this.#prune(commands, pruning);
        return reply;
      }
      expected = reply.owner;
      indexedAt = undefined;
      if (expected !== '') {
        const added = await this.#index(expected, to);
        indexedAt = added.at;
        if (added.prune) pruning = expected;
      }
    }
    throw new Error(
      `RedisStore.rename: the owner of the session changed ${MAX_OWNER_CHANGES} times while it ` +
        'was being renamed; nothing was renamed. Retry the rename.',
    );
  }

  /** The owner's live sessions, pruning the index of the rest. */
  async list(
    commands: SessionCommands,
    owner: string,
    fields: readonly string[],
  ): Promise<OwnedStoredSession[]> {
    const members = await this.#client.smembers(this.#indexKey(owner));
    const listed: OwnedStoredSession[] = [];
    const dead: string[] = [];
    await inBatches(members, async (key) => {
      const session = await commands.listOwned(sessionKey(this.#prefix, key), owner, fields);
      if (session === undefined) dead.push(key);
      else listed.push({ key, ...session });
    });
    await this.#drop(owner, dead);
    return listed;
  }

  /**
   * Deletes the owner's sessions but `except`, reading the index until it shows no member not
   * yet handled; every member handled leaves it. Resolves the keys of the sessions it deleted.
   */
  async revoke(commands: SessionCommands, owner: string, except?: string): Promise<string[]> {
    const index = this.#indexKey(owner);
    const seen = new Set<string>(except === undefined ? [] : [except]);
    const deleted: string[] = [];
    for (let pass = 0; pass < MAX_REVOKE_PASSES; pass++) {
      const fresh = (await this.#client.smembers(index)).filter((key) => !seen.has(key));
      if (fresh.length === 0) return deleted;
      for (const key of fresh) seen.add(key);
      await inBatches(fresh, async (key) => {
        if (await commands.deleteOwned(sessionKey(this.#prefix, key), owner)) deleted.push(key);
      });
      await this.#drop(owner, fresh);
    }
    throw new Error(
      `RedisStore.deleteOwned: the owner's index still gained sessions after ` +
        `${MAX_REVOKE_PASSES} passes, so logins keep racing the revoke. The ` +
        `${deleted.length} sessions found were deleted; call it again to end the rest.`,
    );
  }

  /** Adds `key` to the owner's index: when (server time), and whether the index is due a prune. */
  async #index(owner: string, key: string): Promise<{ at: number; prune: boolean }> {
    const index = this.#indexKey(owner);
    const [at, prune] = (await this.#add(index, pruneMarkKey(index), key)) as [number, number];
    return { at, prune: prune === 1 };
  }

  /**
   * Keeps the index of an owner whose sessions end without a list or a revoke from growing
   * without bound. The bind has landed by now; a failure here changes nothing it did, and the
   * next pass prunes instead, so it is not the caller's error.
   */
  async #prune(commands: SessionCommands, owner: string): Promise<void> {
    await this.list(commands, owner, []).catch(() => undefined);
  }

  async #drop(owner: string, members: readonly string[]): Promise<void> {
    const index = this.#indexKey(owner);
    await this.#forget(index, pruneMarkKey(index), ...members);
  }

  #indexKey(owner: string): string {
    return ownerIndexKey(this.#prefix, owner);
  }
}

/** Runs `each` over `items`, {@link BATCH} at a time. */
async function inBatches<T>(items: readonly T[], each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    await Promise.all(items.slice(i, i + BATCH).map(each));
  }
}
