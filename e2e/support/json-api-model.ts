/**
 * What the example app's JSON API should answer to a request, worked out from the request alone
 * and the API's documented contract (README, "The example app"), never from the answer. A
 * request is either valid, with the effect it has, or refused for one or more faults; since the
 * contract does not rank faults, a refusal may name any of them.
 */

import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';

/** The largest body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;
/** The app's `maxValueBytes`: the limit on one field's encoded value. */
export const MAX_VALUE_BYTES = 4096;
/** The longest field TTL the API takes: a year. */
export const MAX_API_TTL_SECONDS = 365 * 24 * 60 * 60;
/** ruts' limit on a key's length, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 256;
/** The prefix ruts keeps for flash messages. */
export const FLASH_PREFIX = '@flash:';
/** The API's username rule: 1 to 40 letters, digits, dots, underscores or hyphens. */
export const USERNAME = /^[A-Za-z0-9._-]{1,40}$/;

/** The model's verdict: what a valid request does, or the statuses a refusal may have. */
export type Verdict<T> =
  | { valid: true; effect: T }
  | { valid: false; statuses: ReadonlySet<number> };

/** Collects the faults of one request. */
class Faults {
  private readonly statuses = new Set<number>();
  add(status: number): void {
    this.statuses.add(status);
  }
  get any(): boolean {
    return this.statuses.size > 0;
  }
  verdict<T>(effect: () => T): Verdict<T> {
    return this.any ? { valid: false, statuses: this.statuses } : { valid: true, effect: effect() };
  }
}

/** A JSON media type: the essence `application/json`, parameters allowed. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return contentType.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * The body's JSON object, read as a Node server reads text: UTF-8 with bad bytes replaced and a
 * byte order mark kept (JSON has no place for one). Adds 400 for malformed JSON or JSON that is
 * not an object.
 */
function readObject(body: Uint8Array, faults: Faults): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    faults.add(400);
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    faults.add(400);
    return undefined;
  }
  return parsed as Record<string, unknown>;
}

/** The faults of the transport: a content type other than JSON (415), a body over the limit (413). */
function transportFaults(contentType: string | undefined, body: Uint8Array, faults: Faults): void {
  if (!isJsonContentType(contentType)) faults.add(415);
  if (body.byteLength > MAX_BODY_BYTES) faults.add(413);
}

/** The key a path segment names, or `undefined` when the segment is not percent-encoded UTF-8. */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Whether ruts accepts `key` as a field name. */
export function isValidKey(key: string): boolean {
  return (
    key.length > 0 &&
    key.length <= MAX_KEY_LENGTH &&
    !key.includes('\u0000') &&
    !key.startsWith(FLASH_PREFIX)
  );
}

/** The key of a `/api/session/<segment>` path, adding 400 when it does not name a valid key. */
function keyOf(segment: string, faults: Faults): string | undefined {
  const key = decodeSegment(segment);
  if (key === undefined || !isValidKey(key)) {
    faults.add(400);
    return undefined;
  }
  return key;
}

/**
 * How a value fares against `maxValueBytes`: ruts limits the encoded bytes, so the model encodes
 * with the same codec. A value it cannot encode (nested too deeply) is a 400.
 */
function valueFaults(value: unknown, faults: Faults): void {
  let size: number;
  try {
    size = msgpackCodec.encode(value).byteLength;
  } catch {
    faults.add(400);
    return;
  }
  if (size > MAX_VALUE_BYTES) faults.add(413);
}

export interface FieldWrite {
  key: string;
  value: unknown;
  ttl: number | undefined;
}

/** `PUT /api/session/<segment>`: `{ "value": any, "ttl"?: seconds }`. */
export function judgePut(
  segment: string,
  contentType: string | undefined,
  body: Uint8Array,
): Verdict<FieldWrite> {
  const faults = new Faults();
  transportFaults(contentType, body, faults);
  const key = writableKeyOf(segment, faults);
  const object = readObject(body, faults);
  if (object === undefined) return faults.verdict(() => ({ key: '', value: null, ttl: undefined }));
  if (!Object.hasOwn(object, 'value')) faults.add(400);
  const { value, ttl } = object;
  if (ttl !== undefined && (typeof ttl !== 'number' || !(ttl > 0 && ttl <= MAX_API_TTL_SECONDS))) {
    faults.add(400);
  }
  if (Object.hasOwn(object, 'value')) valueFaults(value, faults);
  return faults.verdict(() => ({ key: key as string, value, ttl: ttl as number | undefined }));
}

/** The fields only signing in writes: the API refuses them with 403. */
export const SIGN_IN_KEYS: ReadonlySet<string> = new Set(['userId', 'username']);

/** {@link keyOf}, and 403 for a key only signing in writes. */
function writableKeyOf(segment: string, faults: Faults): string | undefined {
  const key = keyOf(segment, faults);
  if (key !== undefined && SIGN_IN_KEYS.has(key)) faults.add(403);
  return key;
}

/** `DELETE /api/session/<segment>`: removes the field (the body is not read). */
export function judgeDelete(segment: string): Verdict<string> {
  const faults = new Faults();
  const key = writableKeyOf(segment, faults);
  return faults.verdict(() => key as string);
}

/** `POST /api/login`: `{ "username": string }` signs in as `u_<lowercased name>`. */
export function judgeLogin(contentType: string | undefined, body: Uint8Array): Verdict<string> {
  const faults = new Faults();
  transportFaults(contentType, body, faults);
  const object = readObject(body, faults);
  const username = object?.username;
  if (object !== undefined && (typeof username !== 'string' || !USERNAME.test(username))) {
    faults.add(400);
  }
  return faults.verdict(() => `u_${(username as string).toLowerCase()}`);
}
