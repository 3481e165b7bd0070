/**
 * What a sealed cookie carries: the session id, and the lifetimes `regenerate({ maxAge,
 * idleTimeout })` gave the session. Sealed with the id, so the client cannot change them, and
 * known to every request at unseal time, before any store call: a write must extend the session
 * by the session's own idle timeout, and writes often come before any read.
 *
 * Edge-safe: plain string work, no codec. A cookie without lifetimes seals the bare id, exactly
 * as cookies did before lifetimes existed, so old cookies and new ones read alike.
 *
 * @packageDocumentation
 */

import { isWellFormedSessionId } from './session-id.ts';

/** The lifetimes a session was given by `regenerate()`; each one absent follows the config. */
export interface SessionLifetimes {
  /** The cookie's `Max-Age` in whole seconds, or `'session'` for a browser-session cookie. */
  readonly maxAge?: number | 'session';
  /** The session's own idle timeout, in whole milliseconds. */
  readonly idleMs?: number;
}

/**
 * `<id>~<maxAge>~<idleMs>`, each part after the id possibly empty but not both. One spelling per
 * value: no leading zeros, `s` for `'session'`.
 */
const PAYLOAD = /^([A-Za-z0-9_-]{51})~(s|[1-9][0-9]{0,8})?~([1-9][0-9]{0,13})?$/;

/** The string sealed into the cookie. */
export function encodePayload(id: string, lifetimes: SessionLifetimes | undefined): string {
  const maxAge = lifetimes?.maxAge;
  const idleMs = lifetimes?.idleMs;
  if (maxAge === undefined && idleMs === undefined) return id;
  return `${id}~${maxAge === 'session' ? 's' : (maxAge ?? '')}~${idleMs ?? ''}`;
}

/** The id and lifetimes in an unsealed payload, or `undefined` for anything else. */
export function decodePayload(
  payload: unknown,
): { id: string; lifetimes?: SessionLifetimes } | undefined {
  if (isWellFormedSessionId(payload)) return { id: payload };
  if (typeof payload !== 'string') return undefined;
  const match = PAYLOAD.exec(payload);
  if (match === null) return undefined;
  const [, id = '', maxAge, idleMs] = match;
  if (maxAge === undefined && idleMs === undefined) return undefined;
  const lifetimes: { maxAge?: number | 'session'; idleMs?: number } = {};
  if (maxAge !== undefined) lifetimes.maxAge = maxAge === 's' ? 'session' : Number(maxAge);
  if (idleMs !== undefined) lifetimes.idleMs = Number(idleMs);
  return { id, lifetimes };
}
