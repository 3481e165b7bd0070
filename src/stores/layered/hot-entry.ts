/**
 * What a session looks like in the hot tier, and how to read it back.
 *
 * A hot entry is a session in the hot store under the same key. It keeps each field in one of
 * four forms, each under a name of its own (see {@link HotForm}):
 * - a copy of the cold value, under the field's stored name, byte for byte as cold holds it: the
 *   common form, which a hot hit hands on as it is;
 * - `~t:<field>`, a copy of a cold value with a TTL of its own, after a header recording that TTL
 *   and the hot TTL it was written with;
 * - `~p:<field>`, a pointer: the field is cold-only, and its value is read from cold;
 * - `~h:<field>`, a `'hot'` field that exists nowhere else.
 * A write of a field in one form removes the others in the same step, so a field has one form at
 * a time; a read that finds two cannot trust the entry. Bookkeeping sits beside the fields:
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
 * reports reading at; neither needs a TTL in hot. So an entry that is only read (most are) holds
 * its copies and `~complete` alone, and a hot hit, which reads every entry, costs close to a plain
 * read. `~timing` and copies with a TTL of their own instead record the hot TTL they were written
 * with, and the time since then is that TTL minus what the hot store says remains.
 *
 * @packageDocumentation
 */

import type {
  FieldTtl,
  FieldWrite,
  StoredField,
  StoredSession,
} from '../../core/store-contract.ts';
import {
  COMPLETE_FIELD,
  fieldOf,
  HotForm,
  hotFormOf,
  isOwnName,
  storedName,
  TIMING_FIELD,
  WARMING_FIELD,
} from './field-names.ts';

const F64 = 8;
/** A copy with a TTL of its own: that TTL, and the hot TTL it was written with. */
const TIMED_HEADER = 2 * F64;
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
const EMPTY = new Uint8Array(0);

/** Where hot keeps a field: a copy of cold's value (with a TTL or not), a pointer, or `'hot'`. */
export type FieldForm = 'copy' | 'pointer' | 'hot';

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
  /**
   * The values hot holds, copies and `'hot'` fields alike, as the session's fields: a Map of the
   * view's own, which a hit hands on.
   */
  readonly fields: Map<string, StoredField>;
  /** The `'hot'` fields among `fields`, or `undefined` when there are none (as in most entries). */
  readonly hotOnly: ReadonlySet<string> | undefined;
  /** The cold-only fields, which hot points to, or `undefined` when there are none. */
  readonly pointers: ReadonlySet<string> | undefined;
  /** Copies hot holds but cannot read, or `undefined` when there are none. */
  readonly unreadable: ReadonlySet<string> | undefined;
  /**
   * What the fields alone allow, before `complete` and `ttlMs` are considered: `'miss'` when one
   * cannot be read or is kept in two forms, `'partial'` when one points to cold, else `'hit'`.
   */
  readonly lookup: 'hit' | 'partial' | 'miss';
  /** The hot store's clock when it read the entry: where a warm that follows it begins. */
  readonly readAt: number;
  /** How long ago the warm marking the entry began, or `undefined` when none does. */
  readonly warmingAge: number | undefined;
}

/** Where `view` keeps `field`, or `undefined` when it has no form of it. */
export function formOf(view: HotView | undefined, field: string): FieldForm | undefined {
  if (view === undefined) return undefined;
  if (view.pointers?.has(field)) return 'pointer';
  if (view.unreadable?.has(field)) return 'copy';
  if (!view.fields.has(field)) return undefined;
  return view.hotOnly?.has(field) ? 'hot' : 'copy';
}

/**
 * Decodes what the hot store's `getAll` returned. It takes over `stored.fields`, which the store
 * handed out as the caller's own, and makes it the view's `fields`: plain copies stay as the
 * store gave them, everything else is taken out or put under its field's name. A hot hit is on
 * every request, and copies are nearly all an entry holds, so it builds no second Map.
 */
export function readHotEntry(stored: StoredSession | undefined): HotView | undefined {
  if (stored === undefined) return undefined;
  const { readAt, createdAt } = stored;
  // How long ago something began that records its start on the hot clock (NaN: at the entry's
  // creation). Negative if that clock went back: the caller treats it as too old to trust.
  const age = (since: number) => readAt - (Number.isNaN(since) ? createdAt : since);
  let complete: HotView['complete'];
  // The cold session's TTL from ~complete and from ~timing, each with the time since it was
  // written: the more recent one is the truth.
  let warmedTtl: number | null | undefined;
  let warmedAge = Number.POSITIVE_INFINITY;
  let laterTtl: number | null | undefined;
  let laterAge = Number.POSITIVE_INFINITY;
  let warmingAge: number | undefined;
  let answers = true;
  let hotOnly: Set<string> | undefined;
  let pointers: Set<string> | undefined;
  let unreadable: Set<string> | undefined;
  // Fields to put back under their own names once the walk is over: adding to a Map during its
  // forEach would visit them, while deleting the entry being visited is safe.
  let renamed: [field: string, value: StoredField][] | undefined;
  const fields = stored.fields;
  fields.forEach((entry, name) => {
    // A plain copy, under the name it has in cold: left as it is.
    if (isOwnName(name)) return;
    fields.delete(name);
    const field = fieldOf(name);
    if (field !== undefined) {
      renamed ??= [];
      renamed.push([field, entry]);
      return;
    }
    const held = hotFormOf(name);
    if (held !== undefined) {
      const { form, field: of } = held;
      if (form === 'pointer') {
        pointers ??= new Set();
        pointers.add(of);
        return;
      }
      const value = form === 'hot' ? entry : decodeTimedCopy(entry);
      if (form === 'hot') {
        hotOnly ??= new Set();
        hotOnly.add(of);
      }
      if (value === undefined) {
        answers = false;
        unreadable ??= new Set();
        unreadable.add(of);
      } else {
        renamed ??= [];
        renamed.push([of, value]);
      }
    } else if (name === COMPLETE_FIELD && entry.value.byteLength === COMPLETE_BYTES) {
      const view = dataView(entry.value);
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
    } else if (name === WARMING_FIELD) {
      // A mark it cannot read counts as too old, so it holds up no warm.
      const { value } = entry;
      warmingAge =
        value.byteLength === WARMING_BYTES
          ? age(dataView(value).getFloat64(TOKEN_BYTES, true))
          : Number.POSITIVE_INFINITY;
    } else if (name === TIMING_FIELD && entry.value.byteLength === TIMING_BYTES) {
      const view = dataView(entry.value);
      laterAge = elapsed(view.getFloat64(F64, true), entry.ttlMs);
      laterTtl = fromNumber(view.getFloat64(0, true), laterAge);
    }
  });
  for (const [field, value] of renamed ?? []) {
    // Another form of the same field: left over from a failure, so neither can be trusted.
    if (fields.has(field)) answers = false;
    fields.set(field, value);
  }
  for (const field of [...(pointers ?? []), ...(unreadable ?? [])]) {
    if (fields.has(field) || (pointers?.has(field) && unreadable?.has(field))) answers = false;
  }
  const lookup = !answers ? 'miss' : pointers !== undefined ? 'partial' : 'hit';
  const ttlMs = laterAge <= warmedAge ? laterTtl : warmedTtl;
  return { complete, ttlMs, fields, hotOnly, pointers, unreadable, lookup, readAt, warmingAge };
}

/** A `~t:` copy: its value (a view into `entry`'s bytes) and the TTL cold gave it, as of now. */
function decodeTimedCopy({ value, ttlMs: left }: StoredField): StoredField | undefined {
  if (value.byteLength < TIMED_HEADER) return undefined;
  const view = dataView(value);
  const trueTtl = view.getFloat64(0, true);
  const ttlMs = trueTtl - elapsed(view.getFloat64(F64, true), left);
  return { value: value.subarray(TIMED_HEADER), ttlMs };
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
  const { createdAt, maxTtlMs, readAt } = view.complete;
  // In the order the stores build theirs: the code that reads a session then sees one shape.
  const session = { fields: view.fields, ttlMs: view.ttlMs, maxTtlMs, createdAt, readAt };
  return { kind: 'hit', session };
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
  for (const name of view?.hotOnly ?? []) {
    const field = view?.fields.get(name);
    if (field !== undefined) fields.set(name, field);
  }
  return fields;
}

/** Fields that stand for cold data (copies, pointers): warming replaces them. */
export function cachedFields(view: HotView | undefined): string[] {
  if (view === undefined) return [];
  const copies = [...view.fields.keys()].filter((name) => !view.hotOnly?.has(name));
  return [...copies, ...(view.pointers ?? []), ...(view.unreadable ?? [])];
}

/** The name `field` has in hot in `form`; a copy without a TTL of its own has its stored name. */
function hotName(field: string, form: HotForm | 'copy'): string {
  return form === 'copy' ? storedName(field) : HotForm[form] + field;
}

const FORMS = ['copy', 'timed', 'pointer', 'hot'] as const;

/** A write that removes `name` from hot, in the same `setMany` as others: a TTL of zero does. */
function removal(name: string): FieldWrite {
  return { field: name, value: EMPTY, ttlMs: 0 };
}

/** Writes that remove `field` from hot in every form but `kept`. */
export function otherForms(field: string, kept?: HotForm | 'copy'): FieldWrite[] {
  return FORMS.filter((form) => form !== kept).map((form) => removal(hotName(field, form)));
}

/** A field's true remaining TTL: its own, capped by the cold session's (`null`: none). */
function cappedTtl(fieldTtl: number, sessionTtl: number | null): number {
  return sessionTtl === null ? fieldTtl : Math.min(fieldTtl, sessionTtl);
}

/**
 * The hot copy of a cold field, and the removal of its other forms. `fieldTtl` is the field's own
 * TTL as cold holds it, and `sessionTtl` the cold session's remaining TTL. A copy is only
 * trusted while `~complete` lasts, and that never outlasts the cold session, so a field without a
 * TTL of its own needs none in hot either: it is kept as cold keeps it, which a hot hit hands on
 * as it is. A field with its own TTL lives no longer than it, the session, or the hot TTL. A TTL
 * of zero or less mirrors a write that removes the field.
 */
export function copyEntries(
  field: string,
  value: Uint8Array,
  fieldTtl: FieldTtl | null | undefined,
  sessionTtl: number | null,
  hotTtl: number,
): FieldWrite[] {
  if (typeof fieldTtl !== 'number') {
    return [{ field: hotName(field, 'copy'), value }, ...otherForms(field, 'copy')];
  }
  if (fieldTtl <= 0) return otherForms(field);
  const trueTtl = cappedTtl(fieldTtl, sessionTtl);
  const life = hotLife(hotTtl, trueTtl);
  const bytes = new Uint8Array(TIMED_HEADER + value.byteLength);
  writeNumbers(bytes, 0, [trueTtl, life]);
  bytes.set(value, TIMED_HEADER);
  return [
    { field: hotName(field, 'timed'), value: bytes, ttlMs: life },
    ...otherForms(field, 'timed'),
  ];
}

/**
 * Marks a cold-only field in hot, for as long as a copy of it would have lived, and removes its
 * other forms.
 */
export function pointerEntries(
  field: string,
  fieldTtl: FieldTtl | null | undefined,
  sessionTtl: number | null,
  hotTtl: number,
): FieldWrite[] {
  if (typeof fieldTtl === 'number' && fieldTtl <= 0) return otherForms(field);
  const ttlMs = hotLife(
    hotTtl,
    typeof fieldTtl === 'number' ? cappedTtl(fieldTtl, sessionTtl) : sessionTtl,
  );
  return [
    { field: hotName(field, 'pointer'), value: EMPTY, ttlMs },
    ...otherForms(field, 'pointer'),
  ];
}

/**
 * A `'hot'` field. It lives at most `cap` (the hot TTL, or the cold session's remaining life if
 * shorter); without a TTL of its own it lives as long as the hot entry stays in use.
 */
export function hotOnlyEntry(entry: FieldWrite, cap: number): FieldWrite {
  const { ttlMs } = entry;
  return {
    field: hotName(entry.field, 'hot'),
    value: entry.value,
    ttlMs: typeof ttlMs === 'number' ? Math.min(ttlMs, cap) : undefined,
  };
}

/** The name a `'hot'` field has in hot, for taking it. */
export function hotOnlyName(field: string): string {
  return hotName(field, 'hot');
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
 * The entry every hot write carries: it removes a warm's mark, so a warm that read cold before
 * the write does not mark its older snapshot complete.
 */
export function warmRacedEntry(): FieldWrite {
  return removal(WARMING_FIELD);
}

/**
 * Everything warming writes for a cold session over the entry `view` showed: `~complete`, the
 * removal of an older `~timing`, a copy of each field and a pointer for each cold-only one,
 * leaving `'hot'` fields as they are, and the removal of whatever else the view held for cold
 * (fields cold no longer has, other forms of the fields it writes). `since` is when the warm began
 * on the hot clock, before it read cold (NaN: when the hot entry was created), so the entry's
 * life counts from no later than the snapshot. `undefined` when the session has too little life
 * left to be worth caching.
 */
export function warmEntries(
  cold: StoredSession,
  coldOnly: ReadonlySet<string>,
  view: HotView | undefined,
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
    // ~complete now holds the newest timing.
    removal(TIMING_FIELD),
  ];
  for (const [name, { value, ttlMs }] of cold.fields) {
    const had = formOf(view, name);
    // A 'hot' field of the same name is the newer value, and reads report it; keep it.
    if (had === 'hot') continue;
    const written = coldOnly.has(name)
      ? pointerEntries(name, ttlMs, cold.ttlMs, hotTtl)
      : copyEntries(name, value, ttlMs, cold.ttlMs, hotTtl);
    // Other forms matter only where hot had the field, which the view shows (a write since then
    // fails the warm): an entry that is only the field keeps a warm's write small.
    entries.push(...(had === undefined ? written.slice(0, 1) : written));
  }
  for (const name of cachedFields(view)) {
    if (!cold.fields.has(name)) entries.push(...otherForms(name));
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

function writeNumbers(bytes: Uint8Array, offset: number, numbers: readonly number[]): void {
  const view = dataView(bytes);
  for (const [i, n] of numbers.entries()) view.setFloat64(offset + i * F64, n, true);
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
