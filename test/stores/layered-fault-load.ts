/**
 * A load of concurrent reads and writes on a store, for the tests that break a tier of a
 * LayeredStore under it. Every request is counted by kind, outcome and the phase of the fault
 * it started in, and every write is kept in a ledger, so a test can prove afterwards that no
 * write it was told had succeeded went missing, and that the two tiers agree.
 *
 * @packageDocumentation
 */

import { RutsError } from '../../src/core/errors.ts';
import type { SessionCache } from '../../src/core/session-cache.ts';
import type { FieldWrite, SessionStore, StoredSession } from '../../src/core/store-contract.ts';
import { readField } from '../support/read-field.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);

/** Write options of every write: sessions are created if missing and live a day. */
export const WRITE = { create: true, idleMs: 24 * 60 * 60_000 } as const;

/** The field every seeded session holds, and its value. */
export const SEED_FIELD = 'name';
export const seedValue = (key: string) => `seed:${key}`;

/** Where the fault stood when a request started. */
export type Phase = 'before' | 'outage' | 'after';

/** One request, as it ended. */
export interface Outcome {
  readonly kind: 'read' | 'write';
  readonly phase: Phase;
  /** `undefined` when it succeeded (a read also had to return the right data). */
  readonly failure?: string;
  /** For a failed read, what was wrong: the error's message and cause, or the data it lacked. */
  readonly detail?: string;
}

/** One write of fresh fields to an existing session, and what became of it. */
export interface WriteRecord {
  readonly key: string;
  readonly fields: readonly { readonly field: string; readonly value: string }[];
  readonly phase: Phase;
  outcome: 'pending' | 'resolved' | 'rejected';
  error?: unknown;
}

/** Creates `count` sessions holding {@link SEED_FIELD}, and reads each once to warm hot. */
export async function seedSessions(
  store: SessionStore,
  family: string,
  count: number,
): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${family}.session-${i}`);
  for (const key of keys) {
    await store.set(key, { field: SEED_FIELD, value: encode(seedValue(key)) }, WRITE);
  }
  for (const key of keys) await store.getAll(key);
  return keys;
}

/**
 * Concurrent workers, each looping until stopped: 60% reads of existing sessions (a seeded
 * field, a field a resolved write put there, or the whole session with every write resolved
 * before the read began), 40% writes of fresh fields (one by `set`, two at once by `setMany`).
 */
export class MixedLoad {
  /** Set by the test as it breaks and mends a tier; each request records the phase it began in. */
  phase: Phase = 'before';
  readonly outcomes: Outcome[] = [];
  readonly writes: WriteRecord[] = [];
  readonly #store: SessionStore;
  readonly #keys: readonly string[];
  /** Resolved writes per key, in the order they resolved. */
  readonly #resolved = new Map<string, WriteRecord[]>();
  readonly #workers: Promise<void>[];
  #stopped = false;
  #nextWrite = 0;

  constructor(store: SessionStore, keys: readonly string[], workers: number) {
    this.#store = store;
    this.#keys = keys;
    this.#workers = Array.from({ length: workers }, () => this.#work());
  }

  /** Resolves once `count` requests that began in `phase` have ended. */
  async served(phase: Phase, count: number): Promise<void> {
    while (this.outcomes.filter((o) => o.phase === phase).length < count) await pause(20);
  }

  /** Lets every request in flight end, and starts no more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#workers);
  }

  async #work(): Promise<void> {
    while (!this.#stopped) {
      const key = this.#keys[Math.floor(Math.random() * this.#keys.length)] as string;
      const phase = this.phase;
      if (Math.random() < 0.4) await this.#write(key, phase);
      else await this.#read(key, phase);
      // Yield, so a tier that rejects at once cannot starve the test's own timers.
      await pause(0);
    }
  }

  async #write(key: string, phase: Phase): Promise<void> {
    const n = this.#nextWrite++;
    const names = n % 2 === 0 ? [`w${n}`] : [`w${n}a`, `w${n}b`];
    const record: WriteRecord = {
      key,
      fields: names.map((field) => ({ field, value: `${field}:${key}` })),
      phase,
      outcome: 'pending',
    };
    this.writes.push(record);
    const entries: FieldWrite[] = record.fields.map(({ field, value }) => ({
      field,
      value: encode(value),
    }));
    try {
      const [only] = entries;
      const result =
        entries.length === 1 && only
          ? await this.#store.set(key, only, WRITE)
          : await this.#store.setMany(key, entries, WRITE);
      if (result === null) throw new Error('the write resolved null: the session was missing');
      record.outcome = 'resolved';
      const resolved = this.#resolved.get(key) ?? [];
      resolved.push(record);
      this.#resolved.set(key, resolved);
      this.outcomes.push({ kind: 'write', phase });
    } catch (error) {
      record.outcome = 'rejected';
      record.error = error;
      this.outcomes.push({ kind: 'write', phase, failure: errorClass(error) });
    }
  }

  async #read(key: string, phase: Phase): Promise<void> {
    const confirmed = [...(this.#resolved.get(key) ?? [])];
    const choice = Math.random();
    let failure: string | undefined;
    let detail: string | undefined;
    try {
      if (choice < 0.4) {
        failure = expectValue(await readField(this.#store, key, SEED_FIELD), seedValue(key));
      } else if (choice < 0.7 && confirmed.length > 0) {
        const written = confirmed[Math.floor(Math.random() * confirmed.length)] as WriteRecord;
        const { field, value } = written.fields[0] as WriteRecord['fields'][number];
        failure = expectValue(await readField(this.#store, key, field), value);
      } else {
        const session = await this.#store.getAll(key);
        failure = missingFrom(session, key, confirmed)[0];
      }
    } catch (error) {
      failure = errorClass(error);
      detail = errorDetail(error);
    }
    this.outcomes.push(
      failure === undefined
        ? { kind: 'read', phase }
        : { kind: 'read', phase, failure, detail: detail ?? failure },
    );
  }
}

/** What a read of `key` should show: its seeded field and every write in `writes`. */
export function missingFrom(
  session: StoredSession | undefined,
  key: string,
  writes: readonly WriteRecord[],
): string[] {
  if (session === undefined) return [`session ${key} missing`];
  const expected = [
    { field: SEED_FIELD, value: seedValue(key) },
    ...writes.flatMap((write) => write.fields),
  ];
  return expected.flatMap(({ field, value }) => {
    const got = decode(session.fields.get(field)?.value);
    return got === value ? [] : [`${key} ${field}: expected ${value}, got ${got}`];
  });
}

/**
 * What the caller sees of a rejection: the ruts error class, or, for anything else, the word
 * `untyped` that the tests reject.
 */
export function errorClass(error: unknown): string {
  if (error instanceof RutsError) return error.name;
  const name = error instanceof Error ? error.name : typeof error;
  return `untyped ${name}: ${error instanceof Error ? error.message : String(error)}`;
}

/** An error's message, and its cause's, so a failed read says why it failed. */
function errorDetail(error: unknown): string {
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : undefined;
  return cause === undefined ? message(error) : `${message(error)} (cause: ${message(cause)})`;
}

/**
 * Counts of outcomes, by phase and kind; failures by class; and failed reads by phase and what
 * was wrong, so a test that expects none shows what it got.
 */
export function tally(outcomes: readonly Outcome[]) {
  const count = (match: (o: Outcome) => boolean) => outcomes.filter(match).length;
  const failures = new Map<string, number>();
  const failedReads = new Map<string, number>();
  for (const { kind, phase, failure, detail } of outcomes) {
    if (failure === undefined) continue;
    failures.set(failure, (failures.get(failure) ?? 0) + 1);
    if (kind === 'read') {
      const what = `${phase}: ${detail}`;
      failedReads.set(what, (failedReads.get(what) ?? 0) + 1);
    }
  }
  return {
    total: outcomes.length,
    reads: count((o) => o.kind === 'read'),
    writes: count((o) => o.kind === 'write'),
    of: (phase: Phase, kind?: Outcome['kind']) =>
      count((o) => o.phase === phase && (kind === undefined || o.kind === kind)),
    failed: (kind: Outcome['kind'], phase?: Phase) =>
      count((o) => o.kind === kind && o.failure !== undefined && (!phase || o.phase === phase)),
    failures,
    failedReads,
  };
}

/**
 * Resolved writes that a store does not show afterwards: each key is read once, whole, and must
 * hold every field its resolved writes wrote.
 */
export async function lostWrites(
  store: SessionStore,
  keys: readonly string[],
  writes: readonly WriteRecord[],
): Promise<string[]> {
  const lost: string[] = [];
  for (const key of keys) {
    const resolved = writes.filter((w) => w.key === key && w.outcome === 'resolved');
    lost.push(...missingFrom(await store.getAll(key), key, resolved));
  }
  return lost;
}

/** What comparing the hot tier's entries with the cold tier's sessions found. */
export interface TierComparison {
  /** Keys hot holds a copy of. */
  readonly inHot: number;
  /** Of those, copies that hold exactly cold's fields (every copy is whole, so all of them). */
  readonly complete: number;
  readonly disagreements: string[];
}

/**
 * Reads every key from each tier's own store, not through the layered store, and compares:
 * each copy hot holds must hold exactly cold's fields and values.
 */
export async function compareTiers(
  hot: SessionCache,
  cold: SessionStore,
  keys: readonly string[],
): Promise<TierComparison> {
  let inHot = 0;
  let complete = 0;
  const disagreements: string[] = [];
  for (const key of keys) {
    const { copy } = await hot.readCopy(key);
    if (copy === undefined) continue;
    inHot++;
    const before = disagreements.length;
    const coldFields = (await cold.getAll(key))?.fields ?? new Map();
    for (const name of new Set([...copy.fields.keys(), ...coldFields.keys()])) {
      const [hotValue, coldValue] = [copy.fields.get(name), coldFields.get(name)];
      if (decode(hotValue?.value) !== decode(coldValue?.value)) {
        disagreements.push(
          `${key} ${name}: hot ${decode(hotValue?.value)}, cold ${decode(coldValue?.value)}`,
        );
      }
    }
    if (disagreements.length === before) complete++;
  }
  return { inHot, complete, disagreements };
}

/** `a=1, b=2`, for the summary lines. */
export function describeCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([name, n]) => `${n} ${name}`).join(', ') || 'none';
}

function expectValue(bytes: Uint8Array | undefined, expected: string): string | undefined {
  const got = decode(bytes);
  return got === expected ? undefined : `wrong data: expected ${expected}, got ${got}`;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
