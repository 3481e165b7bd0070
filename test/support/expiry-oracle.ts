/**
 * Judges reads against expiry without trusting the test's own timing: every moment is a span of
 * the store's clock (Redis `TIME`, Postgres `now()`, `Date.now()` in memory) known to contain it.
 * A read proves a violation only when the span of the read lies wholly after an expiry (an
 * expired session or field came back) or wholly before it (a live one was missing). Reads whose
 * span straddles an expiry may go either way, so margins never decide a verdict and nothing can
 * flake on a slow machine: slowness only widens the spans.
 *
 * @packageDocumentation
 */

import type { FieldWrite, SessionStore, StoredSession } from '../../src/core/store-contract.ts';
import { readField } from './read-field.ts';

/** A moment on the store's clock, in epoch ms, known to lie within `[lo, hi]`. */
export interface Span {
  readonly lo: number;
  readonly hi: number;
}

/**
 * The store clock's offset from `Date.now()`: at any instant, the store's clock reads between
 * the local clock plus `lo` and plus `hi`.
 */
export type ClockOffset = Span;

/** What a session was written with: its expiry (`null`: never) and its fields. */
export interface ExpectedSession {
  readonly expires: Span | null;
  readonly fields: ReadonlyMap<string, ExpectedField>;
}

/** A field's bytes as hex, and its own expiry (`null`: lives as long as its session). */
export interface ExpectedField {
  readonly hex: string;
  readonly expires: Span | null;
}

/** `Date.now()` has whole milliseconds, and so do stores that round times to them. */
const RESOLUTION_MS = 1;

/** The store's clock and the local one agree exactly (a store in this process). */
export const SAME_CLOCK: ClockOffset = { lo: 0, hi: 0 };

/**
 * Bounds the offset of a server's clock by reading it `samples` times between two local
 * timestamps: each reading lies between them, so the offset lies between the differences.
 */
export async function measureOffset(
  readServerMs: () => Promise<number>,
  samples = 20,
): Promise<ClockOffset> {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  for (let i = 0; i < samples; i++) {
    const before = Date.now();
    const server = await readServerMs();
    const after = Date.now() + RESOLUTION_MS;
    lo = Math.max(lo, server - after);
    hi = Math.min(hi, server - before);
  }
  return { lo, hi };
}

/** The store-clock span of a call that started at local `before` and ended at local `after`. */
export function spanOf(before: number, after: number, offset: ClockOffset): Span {
  return {
    lo: before + offset.lo - RESOLUTION_MS,
    hi: after + offset.hi + 2 * RESOLUTION_MS,
  };
}

/** The span of `at` plus `ms`: an expiry set `ms` after a write made during `at`. */
export function plus(at: Span, ms: number): Span {
  return { lo: at.lo + ms, hi: at.hi + ms };
}

/** Where an expiry stands at a read: certainly passed, certainly not, or too close to tell. */
type Verdict = 'live' | 'expired' | 'either';

function judge(expires: Span | null, read: Span): Verdict {
  if (expires === null || read.hi < expires.lo) return 'live';
  if (read.lo >= expires.hi) return 'expired';
  return 'either';
}

/** A field lives while both it and its session do. */
function both(session: Verdict, field: Verdict): Verdict {
  if (session === 'expired' || field === 'expired') return 'expired';
  return session === 'live' && field === 'live' ? 'live' : 'either';
}

/** Counts of one run, and every violation found, described for the failure message. */
export class ExpiryTally {
  reads = 0;
  /** Sessions or fields certainly expired at their read, and rightly absent. */
  expiredAbsent = 0;
  /** Sessions or fields certainly live at their read, and rightly present with their value. */
  livePresent = 0;
  /** Sessions or fields too close to their expiry to judge. */
  undecided = 0;
  readonly violations: string[] = [];

  /** Checks a `getAll` of `key`, done during `read`. */
  session(
    key: string,
    expected: ExpectedSession,
    got: StoredSession | undefined,
    read: Span,
  ): void {
    this.reads++;
    const session = judge(expected.expires, read);
    if (got === undefined) {
      if (session === 'live') this.violations.push(`live session ${key} missing`);
      else if (session === 'expired') this.expiredAbsent++;
      else this.undecided++;
      return;
    }
    if (session === 'expired') this.violations.push(`expired session ${key} returned`);
    for (const [name, field] of got.fields) {
      const want = expected.fields.get(name);
      if (want === undefined) {
        this.violations.push(`session ${key} returned field ${name} it never had`);
        continue;
      }
      if (hex(field.value) !== want.hex) this.violations.push(`${key}/${name} has the wrong value`);
      const verdict = both(session, judge(want.expires, read));
      if (verdict === 'expired') this.violations.push(`expired field ${key}/${name} returned`);
      else if (verdict === 'live') this.livePresent++;
      else this.undecided++;
    }
    for (const [name, want] of expected.fields) {
      if (got.fields.has(name)) continue;
      const verdict = both(session, judge(want.expires, read));
      if (verdict === 'live') this.violations.push(`live field ${key}/${name} missing`);
      else if (verdict === 'expired') this.expiredAbsent++;
      else this.undecided++;
    }
  }

  /**
   * Reads `key` as reader number `reader` does (even readers `getAll`, odd ones `get` one of
   * `fields`, at random), and checks what came back against the read's span on the store clock.
   */
  async read(
    store: SessionStore,
    key: string,
    expected: ExpectedSession,
    reader: number,
    fields: readonly string[],
    offset: ClockOffset,
  ): Promise<void> {
    const before = Date.now();
    if (reader % 2 === 0) {
      const got = await store.getAll(key);
      this.session(key, expected, got, spanOf(before, Date.now(), offset));
    } else {
      const name = fields[Math.floor(Math.random() * fields.length)] as string;
      const got = await readField(store, key, name);
      this.field(key, name, expected, got, spanOf(before, Date.now(), offset));
    }
  }

  /** Checks a `get` of one field, done during `read`. */
  field(
    key: string,
    name: string,
    expected: ExpectedSession,
    got: Uint8Array | undefined,
    read: Span,
  ): void {
    this.reads++;
    const want = expected.fields.get(name);
    if (want === undefined) {
      if (got !== undefined) this.violations.push(`${key}/${name} returned, never written`);
      return;
    }
    const verdict = both(judge(expected.expires, read), judge(want.expires, read));
    if (got === undefined) {
      if (verdict === 'live') this.violations.push(`live field ${key}/${name} missing`);
      else if (verdict === 'expired') this.expiredAbsent++;
      else this.undecided++;
      return;
    }
    if (hex(got) !== want.hex) this.violations.push(`${key}/${name} has the wrong value`);
    if (verdict === 'expired') this.violations.push(`expired field ${key}/${name} returned`);
    else if (verdict === 'live') this.livePresent++;
    else this.undecided++;
  }
}

/**
 * Creates session `key` with `entries` through `store`, and says what a reader may expect of
 * it. Field TTLs must be within `idleMs`, so that none extends the session; a `'persistent'`
 * field makes it persistent.
 */
export async function writeSession(
  store: SessionStore,
  key: string,
  entries: readonly FieldWrite[],
  idleMs: number,
  offset: ClockOffset,
): Promise<ExpectedSession> {
  const before = Date.now();
  await store.setMany(key, entries, { create: true, idleMs });
  const written = spanOf(before, Date.now(), offset);
  const persistent = entries.some((entry) => entry.ttlMs === 'persistent');
  return {
    expires: persistent ? null : plus(written, idleMs),
    fields: new Map(
      entries.map(({ field, value, ttlMs }) => [
        field,
        { hex: hex(value), expires: typeof ttlMs === 'number' ? plus(written, ttlMs) : null },
      ]),
    ),
  };
}

/** Every expiry of a session: its own and its fields'. */
export function expiriesOf(session: ExpectedSession): Span[] {
  const all = [session.expires, ...[...session.fields.values()].map((field) => field.expires)];
  return all.filter((expires): expires is Span => expires !== null);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Picks keys for readers: half uniformly, half among those with an expiry (of the session or a
 * field) close to the store's current time, where a wrong answer is likeliest.
 */
export class KeyPicker {
  readonly #keys: readonly string[];
  /** Expiry midpoints with their keys, ascending. */
  readonly #byExpiry: readonly (readonly [at: number, key: string])[];

  constructor(sessions: ReadonlyMap<string, ExpectedSession>) {
    this.#keys = [...sessions.keys()];
    const events: [number, string][] = [];
    for (const [key, session] of sessions) {
      for (const { lo, hi } of expiriesOf(session)) events.push([(lo + hi) / 2, key]);
    }
    this.#byExpiry = events.sort((a, b) => a[0] - b[0]);
  }

  /** A key, drawn near `storeNow` (within `nearMs`) half the time. */
  pick(storeNow: number, nearMs = 50): string {
    if (Math.random() < 0.5 || this.#byExpiry.length === 0) {
      return this.#keys[Math.floor(Math.random() * this.#keys.length)] as string;
    }
    const from = this.#firstAtOrAfter(storeNow - nearMs);
    const to = Math.max(from + 1, this.#firstAtOrAfter(storeNow + nearMs));
    const index = Math.min(
      from + Math.floor(Math.random() * (to - from)),
      this.#byExpiry.length - 1,
    );
    return (this.#byExpiry[index] as readonly [number, string])[1];
  }

  #firstAtOrAfter(at: number): number {
    let low = 0;
    let high = this.#byExpiry.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#byExpiry[mid] as readonly [number, string])[0] < at) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
