/**
 * "Sign out everywhere": the manager's calls that list and revoke the sessions bound to one
 * owner. They work on the store's owner index ({@link OwnedSessionStore}), never on the ids:
 * each session is named by a handle derived from its store key, which no one can turn into a
 * cookie.
 *
 * @packageDocumentation
 */

import { ConfigError, checkedOwner } from './errors.ts';
import { assertValidKey } from './field-keys.ts';
import type { Session } from './session.ts';
import type { ResolvedSessionConfig } from './session-config.ts';
import type { EmitEvent } from './session-events.ts';
import { SessionFields } from './session-fields.ts';
import { sessionHandle } from './session-id.ts';
import type { SessionKey } from './session-types.ts';
import { storeCall } from './store-call.ts';
import { canIndexOwners, type OwnedSessionStore, type SessionStore } from './store-contract.ts';

/** One live session of an owner, as `listSessions` reports it. */
export interface OwnedSession<T extends object = Record<string, unknown>> {
  /**
   * Names the session for `revokeSession`. Not the id and not a cookie: safe to put in a page.
   * Compare it with `(await session.info())?.handle` to mark the current device.
   */
  handle: string;
  /** When the session was created (a login's `regenerate()` keeps it). */
  createdAt: Date;
  /** When it expires unless activity extends it; `null` for a persistent session. */
  expiresAt: Date | null;
  /**
   * When a write or a sliding-expiry extension last reached the store: so at most
   * `touchAfter` seconds behind the last request. `null` when the store does not know.
   */
  lastActiveAt: Date | null;
  /** The live fields among those `listSessions` was asked for. */
  fields: Partial<T>;
}

/** Options of `listSessions`. */
export interface ListSessionsOptions<T extends object = Record<string, unknown>> {
  /**
   * Fields to read with each session, such as a device name written at login, so a "your
   * devices" page needs no read per session.
   * @example sessions.listSessions(user.id, { fields: ['device'] })
   */
  fields?: readonly SessionKey<T>[];
}

/** Options of `revokeSessions`. */
export interface RevokeSessionsOptions {
  /** A session to keep: the current request's `Session`, or a handle from `listSessions`. */
  // biome-ignore lint/suspicious/noExplicitAny: any session's data shape may be kept
  except?: Session<any, any> | string;
}

/** The manager's owner calls, bound to one config. */
export interface OwnedSessions<T extends object = Record<string, unknown>> {
  /**
   * The owner's live sessions, most recently active first. Costs in proportion to the owner's
   * sessions, not to all sessions.
   */
  listSessions(owner: string, options?: ListSessionsOptions<T>): Promise<OwnedSession<T>[]>;
  /** Ends the owner's session named by `handle`. Resolves whether a live session ended. */
  revokeSession(owner: string, handle: string): Promise<boolean>;
  /**
   * Ends every session of the owner that existed when it was called, but `except`; a login
   * racing it is either ended or listed afterwards. Resolves how many sessions ended.
   */
  revokeSessions(owner: string, options?: RevokeSessionsOptions): Promise<number>;
}

/** Builds the owner calls on a resolved config. */
export function ownedSessions<T extends object>(
  config: ResolvedSessionConfig,
  emit?: EmitEvent,
): OwnedSessions<T> {
  const fields = new SessionFields(config, emit);

  const list = async (
    owner: string,
    names: readonly string[],
  ): Promise<(OwnedSession<T> & { key: string })[]> => {
    const store = ownerIndex(config.store, owner);
    const stored = await storeCall('listSessions', () => store.listOwned(owner, names));
    const listed = await Promise.all(
      stored.map(async (session) => {
        const values: Record<string, unknown> = {};
        for (const [name, field] of session.fields) {
          const read = await fields.read(name, field.value);
          if (!read.present) continue;
          Object.defineProperty(values, name, {
            value: read.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        const now = Date.now();
        return {
          key: session.key,
          handle: sessionHandle(session.key),
          createdAt: new Date(session.createdAt),
          expiresAt: session.ttlMs === null ? null : new Date(now + session.ttlMs),
          lastActiveAt: session.lastActiveAt === null ? null : new Date(session.lastActiveAt),
          fields: values as Partial<T>,
        };
      }),
    );
    const activity = (s: OwnedSession<T>) => (s.lastActiveAt ?? s.createdAt).getTime();
    return listed.sort((a, b) => activity(b) - activity(a));
  };

  const keyOf = async (owner: string, handle: string): Promise<string | undefined> => {
    if (typeof handle !== 'string') return undefined;
    return (await list(owner, [])).find((session) => session.handle === handle)?.key;
  };

  return {
    async listSessions(owner, options = {}) {
      const names = options.fields ?? [];
      for (const name of names) assertValidKey(name);
      const listed = await list(owner, names);
      return listed.map(({ key: _key, ...session }) => session);
    },

    async revokeSession(owner, handle) {
      const key = await keyOf(owner, handle);
      if (key === undefined) return false;
      return storeCall('revokeSession', () => config.store.delete(key));
    },

    async revokeSessions(owner, options = {}) {
      const store = ownerIndex(config.store, owner);
      const { except } = options;
      const kept =
        typeof except === 'string'
          ? await keyOf(owner, except)
          : except === undefined
            ? undefined
            : await except.storeKey();
      const ended = await storeCall('revokeSessions', () => store.deleteOwned(owner, kept));
      return ended.length;
    },
  };
}

/**
 * The store as an owner index, once `owner` is known to be valid: throws `InvalidOwnerError`
 * for a bad owner and `ConfigError` for a store without the index.
 */
export function ownerIndex(store: SessionStore, owner: unknown): SessionStore & OwnedSessionStore {
  checkedOwner(owner);
  if (!canIndexOwners(store)) {
    throw new ConfigError(
      'binding, listing and revoking sessions by owner needs a store that indexes owners ' +
        '(listOwned and deleteOwned); every store ruts ships does. Implement ' +
        'OwnedSessionStore on yours.',
    );
  }
  return store;
}
