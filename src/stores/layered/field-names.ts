/**
 * How the layered store names what it keeps in each tier beside the session's own fields.
 *
 * Both tiers hold the session's fields under their own names, so cold data stays readable by the
 * cold store alone. The layered store's bookkeeping lives in the same sessions, under names that
 * begin with a single `~`. A field of the session's own whose name begins with `~` is stored with
 * one more `~` in front, so no field name, however odd, can pass for bookkeeping.
 *
 * @packageDocumentation
 */

const MARK = '~';
const MARK_CODE = 0x7e;

/** Hot: written by warming; for its life, the hot entry holds the whole session (`hot-entry.ts`). */
export const COMPLETE_FIELD = '~complete';
/** Hot: the cold session's remaining TTL as of an operation after the warm that changed it. */
export const TIMING_FIELD = '~timing';
/**
 * Hot: present while a warm is under way, holding its random token. Written only where absent,
 * so one warm fills an entry at a time; every hot write removes it, so the warm can tell that a
 * write raced it; the warm takes it when done, so an entry that is only read does without it.
 */
export const WARMING_FIELD = '~warming';
/** Cold: keeps a session alive in cold that a `'hot'` write created, since cold decides existence. */
export const ANCHOR_FIELD = '~anchor';
/** Cold: `~cold:<name>` marks field `<name>` as cold-only; it is written with the field. */
const COLD_ONLY_PREFIX = '~cold:';

/**
 * How hot keeps a field other than as a plain copy under its stored name (see `hot-entry.ts`):
 * `~t:<field>` a copy with a TTL of its own, `~p:<field>` a pointer to a cold-only field,
 * `~h:<field>` a `'hot'` field. The field's name follows the prefix as it is, unescaped.
 */
export const HotForm = { timed: '~t:', pointer: '~p:', hot: '~h:' } as const;
export type HotForm = keyof typeof HotForm;
const FORM_PREFIX_LENGTH = 3;

/** The field a hot name holds in one of the {@link HotForm}s, with the form; else `undefined`. */
export function hotFormOf(name: string): { form: HotForm; field: string } | undefined {
  if (name.charCodeAt(0) !== MARK_CODE || name.charCodeAt(2) !== 0x3a) return undefined;
  const prefix = name.slice(0, FORM_PREFIX_LENGTH);
  const form =
    prefix === HotForm.timed
      ? 'timed'
      : prefix === HotForm.pointer
        ? 'pointer'
        : prefix === HotForm.hot
          ? 'hot'
          : undefined;
  return form && { form, field: name.slice(FORM_PREFIX_LENGTH) };
}

/** The name a session field is stored under, in either tier. */
export function storedName(field: string): string {
  return field.startsWith(MARK) ? MARK + field : field;
}

/** What a stored name holds: one of the session's fields, or the layered store's bookkeeping. */
export type StoredName =
  | { readonly kind: 'field'; readonly field: string }
  | { readonly kind: 'meta'; readonly name: string };

export function parseStoredName(name: string): StoredName {
  const field = fieldOf(name);
  return field === undefined ? { kind: 'meta', name } : { kind: 'field', field };
}

/** Whether `name` is a session field's own name, stored as it is: the name of nearly every field. */
export function isOwnName(name: string): boolean {
  return name.charCodeAt(0) !== MARK_CODE;
}

/**
 * The session field a stored name holds, or `undefined` for bookkeeping: {@link parseStoredName}
 * without the object, for the hot read, which asks it of every field on every request.
 */
export function fieldOf(name: string): string | undefined {
  if (name.charCodeAt(0) !== MARK_CODE) return name;
  return name.charCodeAt(1) === MARK_CODE ? name.slice(1) : undefined;
}

/** The cold marker that keeps `field` out of hot. */
export function coldOnlyMarker(field: string): string {
  return COLD_ONLY_PREFIX + field;
}

/** The field a cold-only marker names, or `undefined` for other bookkeeping. */
export function coldOnlyField(metaName: string): string | undefined {
  return metaName.startsWith(COLD_ONLY_PREFIX)
    ? metaName.slice(COLD_ONLY_PREFIX.length)
    : undefined;
}
