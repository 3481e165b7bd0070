/**
 * What a session looks like in the hot tier, and how to read it back.
 *
 * A hot entry is a session in the hot store under the same key. Its fields carry a one-byte tag
 * saying what each value is: a copy of the cold value, a pointer to a cold-only field, or a
 * `'hot'` field that exists nowhere else. Three bookkeeping fields sit beside them:
 *
 * - `~complete` is written only by warming, in one step with every copy, and records the cold
 *   session as warming found it: creation time, deadline, remaining TTL and clock. For its life,
 *   the entry holds the whole session, so a read may be answered from hot alone. Its life is the
 *   cap warming put on copies (the hot TTL, or the cold session's remaining life if shorter);
 *   copies with less life than that expire with their cold originals. It is never renewed, so no
 *   capped copy can expire during it. `'hot'` writes never create it: hot holding some fields
 *   says nothing about the others.
 * - `~timing` carries the cold session's remaining TTL as of a later operation that changed it.
 *   Warming drops it. Of the two, the more recent one counts.
 * - `~warming` marks a warm under way (see `reads.ts`): every hot write removes it.
 *
 * Durations in hot are measured on the hot store's clock only, never against another clock.
 * `~complete` and `~warming` record when they began as a time on that clock (an earlier hot read,
 * or the hot entry's own creation), and a read measures their age against the time the hot store
 * reports reading at; neither needs a TTL in hot, so an entry that is only read (most are) holds
 * nothing but its fields and `~complete`, and a hot hit, which reads every entry, costs close to
 * a plain read. `~timing` and copies with a TTL of their own instead record the hot TTL they were
 * written with, and the time since then is that TTL minus what the hot store says remains.
 *
 * @packageDocumentation
 */

import type {
  FieldTtl,
  FieldWrite,
  StoredField,
  StoredSession,
} from '../../core/store-contract.ts';
import { COMPLETE_FIELD, fieldOf, storedName, TIMING_FIELD, WARMING_FIELD } from './field-names.ts';

/** The first byte of a session field's value in hot. */
const Tag = {
  /** A copy of the cold value, living as long as its session. */
  copy: 1,
  /** A copy of a cold value with its own TTL; a header records that TTL and the hot TTL. */
  timedCopy: 2,
  /** The field is cold-only: the value is read from cold. */
  pointer: 3,
  /** Written with `'hot'`: this is the only copy. */
  hotOnly: 4,
} as const;

const F64 = 8;
const TIMED_HEADER = 1 + 2 * F64;
/**
 * `~complete`: the cold session's creation time, deadline (NaN: none), TTL (NaN: persistent) and
 * read time, all on the cold clock; then when it began on the hot clock (NaN: when the hot entry
 * was created) and its life.
 */
const COMPLETE_BYTES = 6 * F64;
/** `~timing`: cold TTL, and the hot TTL it was written with. */
const TIMING_BYTES = 2 * F64;
/** `~warming`: a random token, then when the warm began on the hot clock (NaN: as above). */
const TOKEN_BYTES = 16;
const WARMING_BYTES = TOKEN_BYTES + F64;

/** A session field as hot holds it. */
export type HotField =
  | { readonly kind: 'copy' | 'hot'; readonly value: Uint8Array; readonly ttlMs: number | null }
  | { readonly kind: 'pointer' }
  | { readonly kind: 'unknown' };

/** A decoded hot entry. */
export interface HotView {
  /**
   * Known while the entry holds the complete session: the cold session's creation, deadline, and
   * the time on the cold clock that the hot read corresponds to.
   */
  readonly complete:
    | { readonly createdAt: number; readonly maxTtlMs: number | null; readonly readAt: number }
    | undefined;
  /** The cold session's remaining TTL, `null` when persistent, `undefined` when unknown. */
  readonly ttlMs: number | null | undefined;
  /** A Map of the view's own, which a hit hands on as the session's fields. */
  readonly fields: Map<string, HotField>;
  /** The hot store's clock when it read the entry: where a warm that follows it begins. */
  readonly readAt: number;
  /** How long ago the warm marking the entry began, or `undefined` when none does. */
  readonly warmingAge: number | undefined;
  /**
   * What the fields alone allow, before `complete` and `ttlMs` are considered: `'miss'` when one
   * cannot be read, `'partial'` when one points to cold, else `'hit'`.
   */
  readonly lookup: 'hit' | 'partial' | 'miss';
}

/**
 * Decodes one hot value of a session field, as `get` returns it. Values are views into `bytes`,
 * not copies: stores hand out bytes of the caller's own, and a hot hit is on every request.
 */
export function decodeHotValue(bytes: Uint8Array, hotTtlLeft: number | null = null): HotField {
  switch (bytes[0]) {
    case Tag.copy:
      return { kind: 'copy', value: bytes.subarray(1), ttlMs: null };
    case Tag.timedCopy: {
      if (bytes.byteLength < TIMED_HEADER) return { kind: 'unknown' };
      const [trueTtl = Number.NaN, hotTtl = Number.NaN] = readNumbers(bytes, 1, 2);
      const ttlMs = trueTtl - elapsed(hotTtl, hotTtlLeft);
      return { kind: 'copy', value: bytes.subarray(TIMED_HEADER), ttlMs };
    }
    case Tag.pointer:
      return { kind: 'pointer' };
    case Tag.hotOnly:
      return { kind: 'hot', value: bytes.subarray(1), ttlMs: hotTtlLeft };
    default:
      return { kind: 'unknown' };
  }
}

/** Decodes what the hot store's `getAll` returned. */
export function readHotEntry(stored: StoredSession | undefined): HotView | undefined {
  if (stored === undefined) return undefined;
  let complete: HotView['complete'];
  // The cold session's TTL from ~complete and from ~timing, each with the time since it was
  // written: the more recent one is the truth.
  let warmedTtl: number | null | undefined;
  let warmedAge = Number.POSITIVE_INFINITY;
  let laterTtl: number | null | undefined;
  let laterAge = Number.POSITIVE_INFINITY;
  let warmingAge: number | undefined;
  let answers = true;
  let partial = false;
  const { readAt } = stored;
  // How long ago something began that records its start on the hot clock (NaN: at the entry's
  // creation). Negative if that clock went back: the caller treats it as too old to trust.
  const age = (since: number) => readAt - (Number.isNaN(since) ? stored.createdAt : since);
  const fields = new Map<string, HotField>();
  // forEach rather than destructuring entries: a hot hit is on every request.
  stored.fields.forEach(({ value, ttlMs: left }, name) => {
    const field = fieldOf(name);
    if (field !== undefined) {
      const decoded = decodeHotValue(value, left);
      if (decoded.kind === 'unknown') answers = false;
      else if (decoded.kind === 'pointer') partial = true;
      fields.set(field, decoded);
    } else if (name === COMPLETE_FIELD && value.byteLength === COMPLETE_BYTES) {
      const view = dataView(value);
      const since = age(view.getFloat64(4 * F64, true));
      // Over once its life has passed; it stays in the entry until the next warm replaces it.
      if (!(since >= 0 && since < view.getFloat64(5 * F64, true))) return;
      warmedAge = since;
      warmedTtl = fromNumber(view.getFloat64(2 * F64, true), since);
      complete = {
        createdAt: view.getFloat64(0, true),
        maxTtlMs: fromNumber(view.getFloat64(F64, true), since),
        readAt: view.getFloat64(3 * F64, true) + since,
      };
    } else if (name === WARMING_FIELD && value.byteLength === WARMING_BYTES) {
      warmingAge = age(dataView(value).getFloat64(TOKEN_BYTES, true));
    } else if (name === TIMING_FIELD && value.byteLength === TIMING_BYTES) {
      const view = dataView(value);
      laterAge = elapsed(view.getFloat64(F64, true), left);
      laterTtl = fromNumber(view.getFloat64(0, true), laterAge);
    }
  });
  const lookup = !answers ? 'miss' : partial ? 'partial' : 'hit';
  const ttlMs = laterAge <= warmedAge ? laterTtl : warmedTtl;
  return { complete, ttlMs, fields, lookup, readAt, warmingAge };
}

/**
 * What a read can take from a hot entry:
 * - `hit`: the entry is complete, its timing known and no field points to cold, so hot answers;
 * - `partial`: the same, except that some fields are cold-only, so cold must supply them;
 * - `miss`: hot cannot say what the session holds, so it must be warmed from cold.
 */
export type HotLookup =
  | { readonly kind: 'hit'; readonly session: StoredSession }
  | { readonly kind: 'partial' | 'miss' };

export function lookUp(view: HotView | undefined): HotLookup {
  if (!isComplete(view) || view.lookup === 'miss') return { kind: 'miss' };
  if (view.lookup === 'partial') return { kind: 'partial' };
  // Every field is a copy or 'hot', and those already have a stored field's shape: a hit (on
  // every request) hands the map on rather than building another.
  const fields = view.fields as Map<string, StoredField>;
  const { createdAt, maxTtlMs, readAt } = view.complete;
  return { kind: 'hit', session: { createdAt, maxTtlMs, ttlMs: view.ttlMs, fields, readAt } };
}

/** Whether the entry holds the complete session and knows the cold session's remaining TTL. */
export function isComplete(
  view: HotView | undefined,
): view is HotView & { complete: NonNullable<HotView['complete']>; ttlMs: number | null } {
  return view?.complete !== undefined && view.ttlMs !== undefined;
}

/** The `'hot'` fields of an entry, which exist nowhere else. */
export function hotOnlyFields(view: HotView | undefined): Map<string, StoredField> {
  const fields = new Map<string, StoredField>();
  for (const [name, field] of view?.fields ?? []) {
    if (field.kind === 'hot') fields.set(name, { value: field.value, ttlMs: field.ttlMs });
  }
  return fields;
}

/** Fields that stand for cold data (copies, pointers, unreadable values): warming replaces them. */
export function cachedFields(view: HotView | undefined): string[] {
  return [...(view?.fields ?? [])].flatMap(([name, field]) => (field.kind === 'hot' ? [] : [name]));
}

/**
 * The hot copy of a cold field. `fieldTtl` is the field's own TTL as cold holds it, and
 * `sessionTtl` the cold session's remaining TTL. A copy is only trusted while `~complete` lives,
 * and `~complete` never outlives the cold session, so a field without a TTL of its own needs none
 * in hot either: leaving it out keeps the hot hash as small as the cold session's (a hot hit reads
 * every entry). A field with its own TTL lives no longer than it, the session, or the hot TTL. A
 * TTL of zero or less mirrors a write that removes the field.
 */
export function copyEntry(
  field: string,
  value: Uint8Array,
  fieldTtl: FieldTtl | null | undefined,
  sessionTtl: number | null,
  hotTtl: number,
): FieldWrite {
  const name = storedName(field);
  if (typeof fieldTtl !== 'number') return { field: name, value: tagged(Tag.copy, value) };
  if (fieldTtl <= 0) return { field: name, value: Uint8Array.of(Tag.copy), ttlMs: fieldTtl };
  const trueTtl = sessionTtl === null ? fieldTtl : Math.min(fieldTtl, sessionTtl);
  const life = hotLife(hotTtl, trueTtl);
  const bytes = new Uint8Array(TIMED_HEADER + value.byteLength);
  bytes[0] = Tag.timedCopy;
  writeNumbers(bytes, 1, [trueTtl, life]);
  bytes.set(value, TIMED_HEADER);
  return { field: name, value: bytes, ttlMs: life };
}

/** Marks a cold-only field in hot, for as long as a copy of it would have lived. */
export function pointerEntry(
  field: string,
  fieldTtl: FieldTtl | null | undefined,
  sessionTtl: number | null,
  hotTtl: number,
): FieldWrite {
  const ttlMs =
    typeof fieldTtl === 'number'
      ? fieldTtl <= 0
        ? fieldTtl
        : hotLife(hotTtl, sessionTtl === null ? fieldTtl : Math.min(fieldTtl, sessionTtl))
      : hotLife(hotTtl, sessionTtl);
  return { field: storedName(field), value: Uint8Array.of(Tag.pointer), ttlMs };
}

/**
 * A `'hot'` field. It lives at most `cap` (the hot TTL, or the cold session's remaining life if
 * shorter); without a TTL of its own it lives as long as the hot entry stays in use.
 */
export function hotOnlyEntry(entry: FieldWrite, cap: number): FieldWrite {
  const { ttlMs } = entry;
  return {
    field: storedName(entry.field),
    value: tagged(Tag.hotOnly, entry.value),
    ttlMs: typeof ttlMs === 'number' ? Math.min(ttlMs, cap) : undefined,
  };
}

/** The cold session's remaining TTL, recorded for reads that hot answers. */
export function timingEntry(sessionTtl: number | null, hotTtl: number): FieldWrite {
  const life = hotLife(hotTtl, sessionTtl);
  const value = new Uint8Array(TIMING_BYTES);
  writeNumbers(value, 0, [sessionTtl ?? Number.NaN, life]);
  return { field: TIMING_FIELD, value, ttlMs: life };
}

/**
 * A fresh `~warming` mark and the token it holds. `since` is when the warm began on the hot
 * clock (NaN: when the hot entry was created, for a warm that found none), so a later warm can
 * tell one that never finished (its process died) and take over.
 */
export function warmingEntry(since: number): { entry: FieldWrite; token: string } {
  const value = new Uint8Array(WARMING_BYTES);
  crypto.getRandomValues(value.subarray(0, TOKEN_BYTES));
  writeNumbers(value, TOKEN_BYTES, [since]);
  return { entry: { field: WARMING_FIELD, value }, token: warmingToken(value) };
}

/** A `~warming` value as a comparable string: one character per byte. */
export function warmingToken(value: Uint8Array): string {
  return String.fromCharCode(...value);
}

/**
 * The entry every hot write carries: it removes a warm's mark (a TTL of zero removes a field),
 * so a warm that read cold before the write does not mark its older snapshot complete.
 */
export function warmRacedEntry(): FieldWrite {
  return { field: WARMING_FIELD, value: new Uint8Array(0), ttlMs: 0 };
}

/**
 * Everything warming writes for a cold session: `~complete`, the removal of an older `~timing`,
 * a copy of each field and a pointer for each cold-only one, leaving `'hot'` fields
 * (`hotFields`) as they are. `since` is when the warm began on the hot clock, before it read
 * cold (NaN: when the hot entry was created), so the entry's life counts from no later than the
 * snapshot. `undefined` when the session has too little life left to be worth caching.
 */
export function warmEntries(
  cold: StoredSession,
  coldOnly: ReadonlySet<string>,
  hotFields: ReadonlyMap<string, unknown>,
  hotTtl: number,
  since: number,
): FieldWrite[] | undefined {
  const life = hotLife(hotTtl, cold.ttlMs);
  if (cold.ttlMs !== null && cold.ttlMs < 1) return undefined;
  const complete = new Uint8Array(COMPLETE_BYTES);
  const { createdAt, maxTtlMs, ttlMs: sessionTtl, readAt } = cold;
  writeNumbers(complete, 0, [
    createdAt,
    maxTtlMs ?? Number.NaN,
    sessionTtl ?? Number.NaN,
    readAt,
    since,
    life,
  ]);
  const entries: FieldWrite[] = [
    { field: COMPLETE_FIELD, value: complete },
    // ~complete now holds the newest timing; a TTL of zero removes the field.
    { field: TIMING_FIELD, value: new Uint8Array(0), ttlMs: 0 },
  ];
  for (const [name, { value, ttlMs }] of cold.fields) {
    // A 'hot' field of the same name is the newer value, and reads report it; keep it.
    if (hotFields.has(name)) continue;
    entries.push(
      coldOnly.has(name)
        ? pointerEntry(name, ttlMs, cold.ttlMs, hotTtl)
        : copyEntry(name, value, ttlMs, cold.ttlMs, hotTtl),
    );
  }
  return entries;
}

/**
 * How long hot keeps something that cold keeps `coldTtl` more (`null`: no limit): the hot TTL
 * at most, in whole milliseconds, and at least one so a write is never an accidental delete.
 */
export function hotLife(hotTtl: number, coldTtl: number | null): number {
  return Math.max(1, Math.floor(coldTtl === null ? hotTtl : Math.min(hotTtl, coldTtl)));
}

/** Time since a hot value was written with `hotTtl`, given what its TTL has left. */
function elapsed(hotTtl: number, left: number | null): number {
  return left === null || !Number.isFinite(hotTtl) ? 0 : Math.max(0, hotTtl - left);
}

function fromNumber(stored: number, since: number): number | null {
  return Number.isNaN(stored) ? null : stored - since;
}

function tagged(tag: number, value: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(1 + value.byteLength);
  bytes[0] = tag;
  bytes.set(value, 1);
  return bytes;
}

function writeNumbers(bytes: Uint8Array, offset: number, numbers: readonly number[]): void {
  const view = dataView(bytes);
  for (const [i, n] of numbers.entries()) view.setFloat64(offset + i * F64, n, true);
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readNumbers(bytes: Uint8Array, offset: number, count: number): number[] {
  const view = dataView(bytes);
  const numbers: number[] = [];
  for (let i = 0; i < count; i++) numbers.push(view.getFloat64(offset + i * F64, true));
  return numbers;
}
