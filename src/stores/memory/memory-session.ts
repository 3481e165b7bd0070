/**
 * One session as the memory store holds it, and the rules of the TTL model applied to it. The
 * store around it adds indexing, purging and eviction; everything here concerns one session.
 *
 * @packageDocumentation
 */

import { SessionTooLargeError } from '../../core/errors.ts';
import type { FieldWrite, SessionLimits } from '../../core/store-contract.ts';

/** A stored field. */
export interface Field {
  value: Uint8Array;
  /** Own expiry, or `null` when the field lives as long as its session. */
  expiresAt: number | null;
}

/** A stored session. Mutable: the store updates it in place. */
export interface Session {
  /** Where the session lives now. Heap entries hold the session itself, so a rename moves them. */
  key: string;
  readonly fields: Map<string, Field>;
  readonly createdAt: number;
  /** The hard deadline, or `null` when there is none. Set at creation, lowered by `expire`. */
  deadline: number | null;
  /** The idle expiry, or `null` when persistent. The deadline still applies on top of it. */
  expiresAt: number | null;
  /** The owner the session is bound to, or `undefined`. */
  owner: string | undefined;
  /** When a write or an extension last reached the session. */
  lastActiveAt: number;
  /** Neighbours in the store's recency list, which the store alone maintains. */
  older: Session | undefined;
  newer: Session | undefined;
}

/**
 * Applies the write rules of the TTL model: fields replace value and TTL, and the session's
 * expiry grows to cover the idle timeout and every written field. It never shrinks here.
 */
export function applyWrites(
  session: Session,
  entries: readonly FieldWrite[],
  idleMs: number,
  now: number,
): void {
  let expiresAt = session.expiresAt;
  session.lastActiveAt = now;
  const extendTo = (at: number): void => {
    if (expiresAt !== null && at > expiresAt) expiresAt = at;
  };
  extendTo(now + idleMs);
  for (const { field, value, ttlMs } of entries) {
    if (ttlMs === 'persistent') {
      expiresAt = null;
      session.fields.set(field, { value: copy(value), expiresAt: null });
    } else if (ttlMs === undefined) {
      session.fields.set(field, { value: copy(value), expiresAt: null });
    } else if (ttlMs > 0) {
      session.fields.set(field, { value: copy(value), expiresAt: now + ttlMs });
      extendTo(now + ttlMs);
    } else {
      // Already expired on arrival: the write replaces the field with nothing.
      session.fields.delete(field);
    }
  }
  session.expiresAt = expiresAt;
}

/**
 * Throws {@link SessionTooLargeError} when writing `entries` over `fields` (a session's live
 * fields, or none for a new session) would grow its field count or bytes past `limits`. Its cost
 * is the session's own size, which the limits bound.
 */
export function assertWithinLimits(
  fields: ReadonlyMap<string, { readonly value: Uint8Array }>,
  entries: readonly FieldWrite[],
  limits: SessionLimits | undefined,
  isLiveField: (name: string) => boolean,
): void {
  if (limits === undefined) return;
  let count = 0;
  let bytes = 0;
  for (const [name, field] of fields) {
    if (!isLiveField(name)) continue;
    count++;
    bytes += utf8Length(name) + field.value.byteLength;
  }
  let grownCount = count;
  let grownBytes = bytes;
  const written = new Map<string, number>();
  for (const { field, value, ttlMs } of entries) {
    const before =
      written.get(field) ??
      (isLiveField(field) ? utf8Length(field) + (fields.get(field)?.value.byteLength ?? 0) : -1);
    const after =
      typeof ttlMs === 'number' && !(ttlMs > 0) ? -1 : utf8Length(field) + value.byteLength;
    grownCount += (after < 0 ? 0 : 1) - (before < 0 ? 0 : 1);
    grownBytes += Math.max(after, 0) - Math.max(before, 0);
    written.set(field, after);
  }
  const names = entries.map((entry) => entry.field);
  if (grownCount > count && grownCount > limits.maxFields) {
    throw new SessionTooLargeError('maxFields', limits.maxFields, names);
  }
  if (grownBytes > bytes && grownBytes > limits.maxSessionBytes) {
    throw new SessionTooLargeError('maxSessionBytes', limits.maxSessionBytes, names);
  }
}

/** The UTF-8 length of `text` (lone surrogates count as U+FFFD), as the other stores count names. */
export function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      length += 1;
    } else if (code <= 0xdbff && code >= 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 2; // a pair: two UTF-16 units, four bytes
      i++;
    } else {
      length += 2;
    }
  }
  return length;
}

/** When the session dies, deadline included, or `null` if never. */
export function expiryOf(session: Session): number | null {
  const { expiresAt, deadline } = session;
  if (deadline === null) return expiresAt;
  return expiresAt === null ? deadline : Math.min(expiresAt, deadline);
}

export function isLive(session: Session, now: number): boolean {
  const expiry = expiryOf(session);
  return expiry === null || expiry > now;
}

/** The field if it is live; an expired one is dropped on the way. */
export function liveField(session: Session, field: string, now: number): Field | undefined {
  const stored = session.fields.get(field);
  if (stored === undefined) return undefined;
  if (stored.expiresAt === null || stored.expiresAt > now) return stored;
  session.fields.delete(field);
  return undefined;
}

export function remaining(expiry: number | null, now: number): number | null {
  return expiry === null ? null : expiry - now;
}

/** A field's own remaining TTL. It cannot outlive its session, so it is capped by the session's. */
export function fieldTtl(stored: Field, sessionExpiry: number | null, now: number): number | null {
  if (stored.expiresAt === null) return null;
  return Math.min(stored.expiresAt, sessionExpiry ?? Number.POSITIVE_INFINITY) - now;
}

/** Stored bytes are never shared with a caller, who could otherwise change them later. */
export function copy(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}
