/**
 * What a session looks like in the cold tier: its own fields under their own names, plus two
 * kinds of bookkeeping the layered store filters out of everything it returns.
 *
 * - `~cold:<name>` marks `<name>` as cold-only. It is written in the same atomic step as the
 *   field, with the same TTL, so it lives exactly as long as that write of the field does. Warming
 *   reads it to leave the field out of hot. It may outlive a later `'through'` write or a removal
 *   of the field; then the field merely stays uncached until the marker expires.
 * - `~anchor` exists only in sessions that a `'hot'` write created, because the cold tier alone
 *   decides whether a session exists.
 *
 * @packageDocumentation
 */

import type { FieldWrite, StoredField, StoredSession } from '../../core/store-contract.ts';
import {
  ANCHOR_FIELD,
  coldOnlyField,
  coldOnlyMarker,
  parseStoredName,
  storedName,
} from './field-names.ts';

const EMPTY = new Uint8Array(0);

/** A cold session with the layered store's bookkeeping taken out. */
export interface ColdView {
  /** The session as the layered store reports it. */
  readonly session: StoredSession;
  /** Fields of the session that a `'cold'` write keeps out of hot. */
  readonly coldOnly: ReadonlySet<string>;
}

/** A field write as cold stores it. */
export function coldEntry(entry: FieldWrite): FieldWrite {
  const field = storedName(entry.field);
  return field === entry.field ? entry : { ...entry, field };
}

/** A `'cold'` field write: the field and, in the same step, its cold-only marker. */
export function coldOnlyEntries(entry: FieldWrite): FieldWrite[] {
  return [coldEntry(entry), coldOnlyMarkerEntry(entry)];
}

export function coldOnlyMarkerEntry(entry: FieldWrite): FieldWrite {
  return { field: coldOnlyMarker(entry.field), value: EMPTY, ttlMs: entry.ttlMs };
}

/** The field that creates a session in cold for a `'hot'` write. */
export const anchorEntry: FieldWrite = { field: ANCHOR_FIELD, value: EMPTY };

/** Splits what the cold store's `getAll` returned into the session and its cold-only set. */
export function readColdEntry(stored: StoredSession | undefined): ColdView | undefined {
  if (stored === undefined) return undefined;
  const fields = new Map<string, StoredField>();
  const marked = new Set<string>();
  for (const [name, field] of stored.fields) {
    const parsed = parseStoredName(name);
    if (parsed.kind === 'field') {
      fields.set(parsed.field, field);
      continue;
    }
    const marks = coldOnlyField(parsed.name);
    if (marks !== undefined) marked.add(marks);
  }
  const coldOnly = new Set([...marked].filter((field) => fields.has(field)));
  return { session: { ...stored, fields }, coldOnly };
}

/** The cold session with the `'hot'` fields laid over it: they are newer than any cold value. */
export function withHotFields(
  session: StoredSession,
  hotFields: ReadonlyMap<string, StoredField>,
): StoredSession {
  if (hotFields.size === 0) return session;
  return { ...session, fields: new Map([...session.fields, ...hotFields]) };
}
