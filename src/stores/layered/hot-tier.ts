/**
 * The layered store's calls to its hot tier: each bounded by `hotTimeout`, changes retried,
 * failures reported to `onEvent`. It also remembers the token it last saw per key, so a write
 * can ask hot to apply its change only on top of the copy this process read; a write that finds
 * any other token drops the copy instead. Forgetting a token costs a refill, never correctness.
 *
 * @packageDocumentation
 */

import { base64url } from '../../core/base64url.ts';
import { SessionTooLargeError, StoreError } from '../../core/errors.ts';
import type {
  CachedSession,
  CopyChange,
  CopyUpdate,
  SessionCache,
} from '../../core/session-cache.ts';
import type {
  FieldWrite,
  InsertResult,
  SessionLimits,
  StoredSession,
} from '../../core/store-contract.ts';
import type { LayeredEventHandler, LayeredOperation } from './layered-events.ts';

/** Tokens remembered at most; the oldest seen are forgotten first. */
const REMEMBERED_TOKENS = 10_000;
/** Attempts at a change before it counts as failed. */
const ATTEMPTS = 3;
/** Starts the tokens of copies that may be behind cold; other tokens start with base64url. */
const DOUBT = '?';

/**
 * Whether the copy of `token` may be behind cold: a change to cold failed after it was made, so
 * cold may hold that change. Reads go to cold first, and fall back on such a copy.
 */
export function isDoubtful(token: string): boolean {
  return token.startsWith(DOUBT);
}

export class HotTier {
  readonly #tokens = new Map<string, string>();
  /** Tokens are this store's random prefix and a count: unique without a random draw each. */
  readonly #tokenPrefix = base64url(crypto.getRandomValues(new Uint8Array(12)));
  #tokenCount = 0;
  /** The hot calls in flight: a ring through this sentinel, oldest first. */
  readonly #calls: InFlight = sentinel();
  #watchdog: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly cache: SessionCache,
    /** How long a copy is trusted: the bound on serving a session hot could not be told of. */
    readonly leaseMs: number,
    readonly timeoutMs: number,
    readonly onEvent: LayeredEventHandler,
  ) {}

  /**
   * The token this process last saw for `key`: take it before changing the source. A doubtful
   * copy's reads as `''`, so a change does not apply on top of it but drops it.
   */
  seen(key: string): string {
    const token = this.#tokens.get(key) ?? '';
    return isDoubtful(token) ? '' : token;
  }

  /** The key's cached state, or `undefined` when hot failed. */
  read(operation: LayeredOperation, key: string): Promise<CachedSession | undefined> {
    // Callbacks rather than async/await and #call: this runs on every read, and saves ticks.
    return new Promise((resolve) => {
      this.#watch(
        () => this.cache.readCopy(key),
        (cached) => {
          this.#remember(key, cached.token);
          resolve(cached);
        },
        (error) => {
          this.emit(operation, key, error);
          resolve(undefined);
        },
      );
    });
  }

  /**
   * Fills hot with what cold returned, unless a change reached hot since `expected` was read,
   * or the read took so long that the tokens installed since may have expired.
   */
  async fill(key: string, session: StoredSession, expected: string, startedAt: number) {
    const elapsed = performance.now() - startedAt;
    if (elapsed > this.leaseMs / 2) return;
    const next = this.#newToken();
    try {
      const copy = aged(session, Math.ceil(elapsed));
      const filled = await this.#call(() =>
        this.cache.fillCopy(key, copy, { expected, next, leaseMs: this.leaseMs }),
      );
      if (filled) this.#remember(key, next);
    } catch (error) {
      this.emit('getAll', key, error);
    }
  }

  /**
   * Applies a change cold has made, on top of the copy of token `expected` only. Resolves
   * `undefined` when hot could not be reached.
   */
  async update(
    operation: LayeredOperation,
    key: string,
    change: CopyChange,
    expected: string,
    next = this.#newToken(),
  ): Promise<CopyUpdate | undefined> {
    try {
      const update = await this.#retried(operation, key, () =>
        this.cache.updateCopy(key, change, { expected, next, leaseMs: this.leaseMs }),
      );
      this.#remember(key, next);
      return update;
    } catch {
      this.#tokens.delete(key);
      return undefined;
    }
  }

  /**
   * Marks the copy this process last saw as possibly behind cold (and drops any other): a change
   * to cold failed, and cold may have made it all the same. A copy so marked is served only when
   * cold cannot be read, and the next read that reaches cold replaces it.
   */
  async doubt(operation: LayeredOperation, key: string): Promise<void> {
    const expected = this.#tokens.get(key) ?? '';
    await this.update(operation, key, {}, expected, DOUBT + this.#newToken());
  }

  /** Writes local fields; `undefined` when hot failed, `null` when it holds no copy. */
  async writeLocal(
    operation: LayeredOperation,
    key: string,
    entries: readonly FieldWrite[],
    ifAbsent: boolean,
    limits: SessionLimits | undefined,
  ): Promise<InsertResult | null | undefined> {
    try {
      return await this.#call(() => this.cache.writeLocal(key, entries, ifAbsent, limits));
    } catch (error) {
      if (error instanceof SessionTooLargeError) throw error;
      this.emit(operation, key, error);
      return undefined;
    }
  }

  /**
   * Ends `key` in hot, with retries. A revocation that cannot be confirmed rejects with a
   * `StoreError`: cold has ended the session, and hot stops serving it within the lease.
   */
  async evict(operation: LayeredOperation, key: string, revoking: boolean, moveTo?: string) {
    const next = this.#newToken();
    try {
      await this.#retried(operation, key, () => this.cache.evict(key, next, this.leaseMs, moveTo));
      this.#tokens.delete(key);
    } catch (error) {
      if (!revoking) return;
      const seconds = this.leaseMs / 1000;
      throw new StoreError(
        operation,
        new Error(
          `the session has ended in the cold tier, but the hot tier could not confirm it gone ` +
            `(${messageOf(error)}); other processes may serve it from hot for up to ${seconds} s`,
          { cause: error },
        ),
      );
    }
  }

  emit(operation: LayeredOperation, key: string, error: unknown): void {
    try {
      this.onEvent({ type: 'hot-error', operation, key, error });
    } catch {
      // A logging handler that throws must not turn a handled failure into an unhandled one.
    }
  }

  /** A change, tried up to {@link ATTEMPTS} times; each failed attempt is reported. */
  #retried<R>(
    operation: LayeredOperation,
    key: string,
    call: () => Promise<R>,
    attempt = 1,
  ): Promise<R> {
    return this.#call(call).catch(async (error: unknown) => {
      this.emit(operation, key, error);
      if (attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
      return this.#retried(operation, key, call, attempt + 1);
    });
  }

  /** One hot call, failed once it has taken `timeoutMs`: see {@link HotTier.#watch}. */
  #call<R>(call: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => this.#watch(call, resolve, reject));
  }

  /**
   * Runs `call`, and fails it once it has taken `timeoutMs` (checked a few times per
   * `timeoutMs`, so by a quarter more at most): a hot tier that hangs must not hang a request.
   * One timer watches every call in flight, kept in a list in the order they started, so each
   * check stops at the first call not yet due. (A timer per call, or a Set of calls, cost about
   * as much as the rest of a hot hit in JavaScript.)
   */
  #watch<R>(
    call: () => Promise<R>,
    onValue: (value: R) => void,
    onError: (error: unknown) => void,
  ): void {
    const calls = this.#calls;
    const entry: InFlight = { deadline: performance.now() + this.timeoutMs, fail: onError };
    entry.previous = calls.previous;
    entry.next = calls;
    (calls.previous as InFlight).next = entry;
    calls.previous = entry;
    this.#watchdog ??= this.#startWatchdog();
    call().then(
      (value) => {
        // Past its deadline, the call has already failed: its late answer is dropped.
        if (entry.next === undefined) return;
        unlink(entry);
        onValue(value);
      },
      (error: unknown) => {
        if (entry.next === undefined) return;
        unlink(entry);
        onError(error);
      },
    );
  }

  /** Fails the calls past their deadline; stops once no call is in flight. */
  #startWatchdog(): ReturnType<typeof setInterval> {
    const calls = this.#calls;
    const timer = setInterval(
      () => {
        const now = performance.now();
        for (let entry = calls.next as InFlight; entry !== calls && entry.deadline <= now; ) {
          const next = entry.next as InFlight;
          unlink(entry);
          entry.fail(new Error(`the hot tier did not answer within ${this.timeoutMs} ms`));
          entry = next;
        }
        if (calls.next !== calls) return;
        clearInterval(timer);
        this.#watchdog = undefined;
      },
      Math.max(1, Math.ceil(this.timeoutMs / 4)),
    );
    // A process with nothing else to do must not stay up for the watchdog.
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }

  #newToken(): string {
    this.#tokenCount = (this.#tokenCount + 1) % Number.MAX_SAFE_INTEGER;
    return this.#tokenPrefix + this.#tokenCount.toString(36);
  }

  #remember(key: string, token: string): void {
    if (this.#tokens.get(key) === token) return;
    if (token === '') {
      this.#tokens.delete(key);
      return;
    }
    if (this.#tokens.size >= REMEMBERED_TOKENS && !this.#tokens.has(key)) {
      const oldest = this.#tokens.keys().next().value;
      if (oldest !== undefined) this.#tokens.delete(oldest);
    }
    this.#tokens.set(key, token);
  }
}

/** A hot call in flight, and when it counts as failed. */
interface InFlight {
  readonly deadline: number;
  readonly fail: (error: unknown) => void;
  previous?: InFlight;
  next?: InFlight;
}

function sentinel(): InFlight {
  const ring: InFlight = { deadline: Number.POSITIVE_INFINITY, fail: () => {} };
  ring.previous = ring;
  ring.next = ring;
  return ring;
}

/** Takes a call out of the ring, once: a call settles or fails, whichever comes first. */
function unlink(entry: InFlight): void {
  const { previous, next } = entry;
  if (previous === undefined || next === undefined) return;
  previous.next = next;
  next.previous = previous;
  entry.previous = undefined;
  entry.next = undefined;
}

/** `session` as it stands `elapsedMs` after cold read it, so hot never keeps a field too long. */
function aged(session: StoredSession, elapsedMs: number): StoredSession {
  if (elapsedMs <= 0) return session;
  const less = (ttl: number | null) => (ttl === null ? null : Math.max(0, ttl - elapsedMs));
  const fields = new Map();
  for (const [name, field] of session.fields) {
    fields.set(name, { value: field.value, ttlMs: less(field.ttlMs) });
  }
  return { ...session, ttlMs: less(session.ttlMs), maxTtlMs: less(session.maxTtlMs), fields };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
