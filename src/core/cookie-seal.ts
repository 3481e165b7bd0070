/**
 * Seals a session id into the cookie value and verifies it on the way back, with iron (AES-256-CBC
 * plus HMAC-SHA-256) and a cache that spares repeat visitors the crypto.
 *
 * @packageDocumentation
 */

import { BASE64URL_ALPHABET } from './base64url.ts';
import { decodePayload, encodePayload, type SessionLifetimes } from './cookie-payload.ts';
import { ConfigError } from './errors.ts';
import {
  cutSeal,
  type FixedKeys,
  fixedKeys,
  type IronSeal,
  makeIronSeal,
  openIronSeal,
} from './iron-crypto.ts';
import { acquireShared } from './process-registry.ts';
import { SealCache, type VerifiedSeal } from './seal-cache.ts';
import { hashSessionId, isWellFormedSessionId } from './session-id.ts';

export type { SessionLifetimes } from './cookie-payload.ts';

/**
 * The secret that seals cookies: one string, or a map of id to secret for rotation, such as
 * `{ 1: oldSecret, 2: newSecret }`. The numerically highest id seals new cookies; every id still
 * opens the cookies it sealed. A plain string counts as id 1, so moving from `secret` to
 * `{ 1: secret, 2: newSecret }` keeps existing cookies valid.
 */
export type SecretInput = string | Readonly<Record<string, string>>;

/** Options for {@link CookieSealer}. */
export interface CookieSealerOptions {
  /**
   * At least 32 characters each. Generate one with `openssl rand -base64 32`.
   * @example process.env.SESSION_SECRET
   * @example { 1: process.env.OLD_SESSION_SECRET, 2: process.env.SESSION_SECRET }
   */
  secret: SecretInput;
  /**
   * How long a sealed cookie stays valid, in seconds, unless its lifetimes give it a `maxAge`
   * of its own. Seals carry their own expiry.
   */
  ttlSeconds: number;
  /**
   * How many verified cookies to remember, so a returning cookie skips the crypto. Each entry is
   * a few hundred bytes. 0 turns the cache off.
   * @default 10_000
   */
  cacheSize?: number;
  /**
   * The clock, in epoch milliseconds. For tests.
   * @default Date.now
   */
  now?: () => number;
}

/** A cookie that verified: the session id it carries and the store key derived from it. */
export interface VerifiedCookie {
  /** The session id. It never leaves the server except sealed. */
  id: string;
  /** The key the store knows the session by, `hashSessionId(id)`. */
  key: string;
  /** The session's own lifetimes, when `regenerate()` gave it some; absent otherwise. */
  lifetimes?: SessionLifetimes;
  /** When the seal expires, in epoch milliseconds; given with `lifetimes`. */
  expiresAt?: number;
}

/** The output of {@link normalizeSecrets}. */
export interface NormalizedSecrets {
  /** The secret that seals new cookies: the one with the highest id. */
  current: { id: string; secret: string };
  /** Every configured secret by id; any of them opens the cookies it sealed. */
  all: Readonly<Record<string, string>>;
}

const MIN_SECRET_LENGTH = 32;
const STRING_SECRET_ID = '1';
const GENERATE_HINT = 'Generate one with `openssl rand -base64 32`.';
/** Decimal without leading zeros, so that "1" and "01" cannot name two different secrets. */
const SECRET_ID = /^(0|[1-9][0-9]*)$/;

const DEFAULT_CACHE_SIZE = 10_000;
/** Browsers cap a cookie at about 4 KB, so anything longer did not come from us. */
export const MAX_SEAL_LENGTH = 4096;
const EXPIRATION = /^[1-9][0-9]*$/;
const HEX = /^[0-9a-f]+$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Whether `text` is base64url exactly as an encoder writes it. Decoders are lenient (iron's, and
 * ours): they skip or zero characters outside the alphabet and ignore the unused low bits of
 * the last digit, so without this check many strings would verify as the same seal. One cookie,
 * one spelling.
 */
function isCanonicalBase64url(text: string): boolean {
  if (!BASE64URL.test(text)) return false;
  const tail = text.length % 4;
  if (tail === 1) return false;
  if (tail === 0) return true;
  const last = BASE64URL_ALPHABET.indexOf(text.charAt(text.length - 1));
  // Two leftover digits carry 8 bits of 12, three carry 16 of 18: the rest must be zero.
  return tail === 2 ? last % 16 === 0 : last % 4 === 0;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing (undefined)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function assertStrongSecret(secret: unknown, label: string): asserts secret is string {
  if (typeof secret !== 'string') {
    throw new ConfigError(
      `${label} is ${describeValue(secret)}, not a string. ` +
        `Set it to a random string of at least ${MIN_SECRET_LENGTH} characters. ${GENERATE_HINT}`,
    );
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      `${label} is ${secret.length} characters long; it must be at least ${MIN_SECRET_LENGTH}. ` +
        GENERATE_HINT,
    );
  }
}

/**
 * Validates a {@link SecretInput} and picks the secret that seals.
 *
 * @throws {ConfigError} if the secret is missing or short, the map is empty, or an id is not a
 * non-negative integer.
 */
export function normalizeSecrets(secret: SecretInput): NormalizedSecrets {
  if (typeof secret === 'string') {
    assertStrongSecret(secret, 'the session secret');
    return {
      current: { id: STRING_SECRET_ID, secret },
      all: Object.freeze({ [STRING_SECRET_ID]: secret }),
    };
  }
  if (typeof secret !== 'object' || secret === null || Array.isArray(secret)) {
    throw new ConfigError(
      `the session secret is ${describeValue(secret)}. Pass a string of at least ` +
        `${MIN_SECRET_LENGTH} characters, or a map such as { 1: oldSecret, 2: newSecret } to ` +
        `rotate. ${GENERATE_HINT}`,
    );
  }
  let current: NormalizedSecrets['current'] | undefined;
  const all: Record<string, string> = {};
  for (const [id, value] of Object.entries(secret)) {
    if (!SECRET_ID.test(id) || !Number.isSafeInteger(Number(id))) {
      throw new ConfigError(
        `secret id ${JSON.stringify(id)} is not a non-negative integer. Use ids such as 1, 2, 3 ` +
          '(without leading zeros); the highest one seals new cookies.',
      );
    }
    assertStrongSecret(value, `secret ${id}`);
    all[id] = value;
    if (current === undefined || Number(id) > Number(current.id)) current = { id, secret: value };
  }
  if (current === undefined) {
    throw new ConfigError(
      'the secret map is empty. Give it at least one entry, such as ' +
        `{ 1: process.env.SESSION_SECRET }. ${GENERATE_HINT}`,
    );
  }
  return { current, all: Object.freeze(all) };
}

/** What can be read from a seal without crypto; only worth trusting once the HMAC agrees. */
export interface SealEnvelope {
  expiresAt: number;
  /** The seal's parts, its secret id among them, for the crypto. */
  seal: IronSeal;
}

/**
 * Rejects, for the price of a cut, what cannot verify anyway: wrong shape, a secret id we do
 * not hold, a missing or past expiry, and any spelling of a part other than the one iron writes.
 * Garbage and stale cookies then never reach the crypto.
 */
export function readEnvelope(
  value: string,
  secrets: Readonly<Record<string, string>>,
  now: number,
): SealEnvelope | undefined {
  const seal = cutSeal(value);
  if (seal === undefined || !Object.hasOwn(secrets, seal.secretId)) return undefined;
  // iron writes the salts as lowercase hex, the rest as base64url.
  if (!HEX.test(seal.encryptionSalt) || !HEX.test(seal.integritySalt)) return undefined;
  if (
    !isCanonicalBase64url(seal.iv) ||
    !isCanonicalBase64url(seal.body) ||
    !isCanonicalBase64url(seal.mac)
  ) {
    return undefined;
  }
  // Every seal made here carries an expiry; one without could only be older or foreign, and
  // accepting it would make a cookie that never expires.
  if (!EXPIRATION.test(seal.expiration)) return undefined;
  const expiresAt = Number(seal.expiration);
  if (expiresAt <= now) return undefined;
  return { expiresAt, seal };
}

/**
 * The process's cache for these secrets, so that a seal one copy of this module verified costs no
 * other copy the crypto (Next.js may evaluate the session module once for pages and again for
 * Route Handlers and `proxy.ts`). The key holds the secrets themselves: an entry is trusted by
 * its secret id, which means the same thing only under the same secrets.
 */
function sharedCache(secrets: Readonly<Record<string, string>>, size: number): SealCache {
  const key = JSON.stringify([size, Object.entries(secrets).sort()]);
  return acquireShared('seal-cache', key, () => new SealCache(size)).value;
}

/** What a verified seal tells the handle: the lifetimes and their seal's expiry only if any. */
function verified(seal: VerifiedSeal): VerifiedCookie {
  const { id, key, lifetimes, expiresAt } = seal;
  return lifetimes === undefined ? { id, key } : { id, key, lifetimes, expiresAt };
}

/**
 * Turns cookie values back into session ids: checks the seal, never makes one.
 *
 * Verifying a seal costs an HMAC and a decryption (with keys derived once per secret, see
 * `iron-crypto.ts`) on every request. So the sealer remembers each seal it made or verified: a
 * cookie equal, character for character, to a string that already passed the HMAC under a secret
 * still configured, and not yet expired, is the same cookie and is trusted without the crypto.
 * Only successes are remembered, so garbage cannot fill the cache.
 */
export class CookieVerifier {
  /** The secret new seals use. @internal */
  protected readonly current: NormalizedSecrets['current'];
  readonly #secrets: Readonly<Record<string, string>>;
  /** How long a seal lives unless its lifetimes say otherwise. @internal */
  protected readonly ttlMs: number;
  /** Seals made or verified, shared by sealers of the same secrets. @internal */
  protected readonly cache: SealCache;
  /** The clock. @internal */
  protected readonly now: () => number;
  /**
   * Each secret's fixed salts and keys, by secret id, derived on first use: the derivation in
   * flight, then its result, so a request reads them without waiting on a promise.
   */
  readonly #keys = new Map<string, FixedKeys | Promise<FixedKeys>>();

  /** @throws {ConfigError} if the secret, `ttlSeconds` or `cacheSize` cannot work. */
  constructor(options: CookieSealerOptions) {
    const { current, all } = normalizeSecrets(options.secret);
    const ttlMs = Math.ceil(options.ttlSeconds * 1000);
    if (
      typeof options.ttlSeconds !== 'number' ||
      !(options.ttlSeconds > 0) ||
      !Number.isSafeInteger(ttlMs)
    ) {
      throw new ConfigError(
        `ttlSeconds must be a positive number of seconds, got ${String(options.ttlSeconds)}. ` +
          'It is how long a sealed cookie stays valid, such as 60 * 60 * 24 * 30 for 30 days.',
      );
    }
    this.current = current;
    this.#secrets = all;
    this.ttlMs = ttlMs;
    this.cache = sharedCache(all, options.cacheSize ?? DEFAULT_CACHE_SIZE);
    this.now = options.now ?? Date.now;
  }

  /**
   * Verifies a cookie value. Returns `undefined` for anything that is not a live seal made with
   * one of the configured secrets around a well-formed session id; never throws.
   */
  async unseal(value: string | undefined | null): Promise<VerifiedCookie | undefined> {
    try {
      const verified = this.#unseal(value);
      return verified instanceof Promise ? await verified : verified;
    } catch {
      return undefined;
    }
  }

  /**
   * Answers without a promise whenever it can (a cached seal, or, on Node, a seal under the
   * fixed salts of a secret whose keys are derived): each promise costs, more so under Next.js,
   * which hooks every one to track its async context.
   */
  #unseal(value: unknown): VerifiedCookie | undefined | Promise<VerifiedCookie | undefined> {
    if (typeof value !== 'string' || value.length > MAX_SEAL_LENGTH) return undefined;
    const now = this.now();
    const cached = this.cache.get(value, now);
    if (cached !== undefined) {
      if (Object.hasOwn(this.#secrets, cached.secretId)) return verified(cached);
      this.cache.delete(value);
      return undefined;
    }
    const envelope = readEnvelope(value, this.#secrets, now);
    if (envelope === undefined) return undefined;
    const keys = this.keys(envelope.seal.secretId);
    if (keys instanceof Promise) {
      return keys.then((derived) => this.#open(value, envelope, derived));
    }
    return this.#open(value, envelope, keys);
  }

  #open(
    value: string,
    envelope: SealEnvelope,
    keys: FixedKeys,
  ): VerifiedCookie | undefined | Promise<VerifiedCookie | undefined> {
    const payload = openIronSeal(
      envelope.seal,
      this.#secrets[envelope.seal.secretId] as string,
      keys,
    );
    if (payload instanceof Promise) {
      return payload.then((opened) => this.#trust(value, envelope, opened));
    }
    return this.#trust(value, envelope, payload);
  }

  /** Remembers a seal whose HMAC verified, if it holds a session id. */
  #trust(value: string, envelope: SealEnvelope, payload: unknown): VerifiedCookie | undefined {
    // The HMAC proves we sealed it, not that it holds an id: refuse any other payload.
    const decoded = decodePayload(payload);
    if (decoded === undefined) return undefined;
    const { id, lifetimes } = decoded;
    const {
      expiresAt,
      seal: { secretId },
    } = envelope;
    const key = hashSessionId(id);
    // Built field by field: spreading objects costs more on this path than the HMAC's last block.
    const entry: VerifiedSeal =
      lifetimes === undefined
        ? { id, key, secretId, expiresAt }
        : { id, key, secretId, expiresAt, lifetimes };
    this.cache.set(value, entry);
    return verified(entry);
  }

  /**
   * The fixed salts and keys of the secret with id `secretId`, which must be configured: without
   * a promise once derived. @internal
   */
  protected keys(secretId: string): FixedKeys | Promise<FixedKeys> {
    const known = this.#keys.get(secretId);
    if (known !== undefined) return known;
    const derivation = fixedKeys(this.#secrets[secretId] as string);
    this.#keys.set(secretId, derivation);
    derivation.then(
      (derived) => this.#keys.set(secretId, derived),
      // A failed derivation is tried again on the next request rather than remembered.
      () => this.#keys.delete(secretId),
    );
    return derivation;
  }
}

/**
 * A {@link CookieVerifier} that also seals: what the session handle needs. The edge guard only
 * verifies, so it takes the verifier alone, and its bundle carries no sealing code.
 */
export class CookieSealer extends CookieVerifier {
  /**
   * Seals a session id, and the session's own lifetimes if it has any, with the newest secret.
   * The result expires after the lifetimes' numeric `maxAge`, else after `ttlSeconds`.
   *
   * @throws {TypeError} if `id` is not a well-formed session id, which is a bug in the caller.
   */
  async seal(id: string, lifetimes?: SessionLifetimes): Promise<string> {
    if (!isWellFormedSessionId(id)) {
      throw new TypeError('ruts: CookieSealer.seal() takes an id from generateSessionId()');
    }
    const payload = encodePayload(id, lifetimes);
    if (decodePayload(payload) === undefined) {
      throw new TypeError('ruts: CookieSealer.seal() takes lifetimes as regenerate() makes them');
    }
    const maxAge = lifetimes?.maxAge;
    const ttlMs = typeof maxAge === 'number' ? maxAge * 1000 : this.ttlMs;
    // iron writes the expiry as an integer and refuses any other.
    const expiresAt = Math.round(this.now()) + ttlMs;
    const keys = await this.keys(this.current.id);
    const sealed = await makeIronSeal(payload, this.current.id, keys, expiresAt);
    const key = hashSessionId(id);
    const carried = payload === id ? {} : { lifetimes };
    this.cache.set(sealed, { id, key, secretId: this.current.id, expiresAt, ...carried });
    return sealed;
  }
}
