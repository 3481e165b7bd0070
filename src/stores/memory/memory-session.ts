/**
 * One session as the memory store holds it, and the rules of the TTL model applied to it. The
 * store around it adds indexing, purging and eviction; everything here concerns one session.
 *
 * @packageDocumentation
 */

import type { FieldWrite } from '../../core/store-contract.ts';

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
