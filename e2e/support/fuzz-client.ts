/**
 * A bare HTTP client for fuzzing the JSON API from the test process: Node's fetch, no cookie
 * jar (each call names the cookie it carries), bodies sent byte for byte, and a tally of the
 * statuses answered.
 */

import { expect } from '@playwright/test';
import { SESSION_COOKIE } from './session-cookie.ts';

export interface Call {
  method: 'GET' | 'PUT' | 'DELETE' | 'POST';
  /** Path and query, sent as written (already percent-encoded). */
  path: string;
  /** The `Cookie` header, if any. */
  cookie?: string;
  /** `undefined` sends no Content-Type header. */
  contentType?: string;
  /** Bytes (with a Content-Length) or a stream (sent chunked). */
  body?: Uint8Array | ReadableStream<Uint8Array>;
}

export interface Answer {
  status: number;
  contentType: string | null;
  setCookie: string[];
  text: string;
  /** The body as JSON, or `undefined` when it is not JSON. */
  json: unknown;
}

/** How many calls got which class of status. */
export interface Tally {
  calls: number;
  '2xx': number;
  '4xx': number;
  '5xx': number;
  other: number;
}

export class FuzzClient {
  readonly tally: Tally = { calls: 0, '2xx': 0, '4xx': 0, '5xx': 0, other: 0 };

  constructor(private readonly baseUrl: string) {}

  /**
   * Sends `call` (following redirects, as API clients do) and counts its status, unless it is
   * not part of the fuzzing (`counted: false`), such as a check of the session.
   */
  async send(call: Call, { counted = true } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (call.cookie !== undefined) headers.cookie = call.cookie;
    if (call.contentType !== undefined) headers['content-type'] = call.contentType;
    const streamed = call.body instanceof ReadableStream;
    const response = await fetch(new URL(call.path, this.baseUrl), {
      method: call.method,
      headers,
      // A Blob rather than the bytes, which fetch detaches once sent: a redirect sends the body
      // again, and fast-check replays inputs while it shrinks.
      ...(call.body === undefined
        ? {}
        : {
            body:
              call.body instanceof ReadableStream
                ? call.body
                : new Blob([new Uint8Array(call.body)]),
          }),
      // Node's fetch sends a stream only when told that the request is half duplex.
      ...(streamed ? { duplex: 'half' } : {}),
    } as RequestInit);
    const text = await response.text();
    if (counted) this.count(response.status);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      setCookie: response.headers.getSetCookie(),
      text,
      json,
    };
  }

  private count(status: number): void {
    this.tally.calls++;
    if (status >= 200 && status < 300) this.tally['2xx']++;
    else if (status >= 400 && status < 500) this.tally['4xx']++;
    else if (status >= 500) this.tally['5xx']++;
    else this.tally.other++;
  }
}

/** The `Cookie` header that carries the session cookie an answer set. */
export function sessionCookieFrom(answer: Answer): string {
  const line = answer.setCookie.find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`));
  const pair = line?.split(';')[0];
  if (pair === undefined || pair === `${SESSION_COOKIE}=`) {
    throw new Error(`expected a session cookie, got ${JSON.stringify(answer.setCookie)}`);
  }
  return pair;
}

/** A short, escaped description of an input for failure messages. */
export function describeInput(parts: Record<string, unknown>): string {
  const text = JSON.stringify(parts, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
  );
  return text.length > 400 ? `${text.slice(0, 400)}… (${text.length} characters)` : text;
}

/** Expects a refusal: one of `statuses`, the API's `{ "error": message }` shape, no cookie. */
export function expectRefused(answer: Answer, statuses: ReadonlySet<number>, input: string): void {
  const context = `${input}\n→ ${answer.status} ${answer.text.slice(0, 300)}`;
  expect([...statuses], `a status the model allows for: ${context}`).toContain(answer.status);
  expect(answer.contentType, `JSON content type for: ${context}`).toMatch(/^application\/json/);
  const error = (answer.json as { error?: unknown } | undefined)?.error;
  expect(typeof error === 'string' && error.length > 0, `an error message for: ${context}`).toBe(
    true,
  );
  expect(answer.setCookie, `no cookie set by a refusal: ${context}`).toEqual([]);
}

/** Expects success with a JSON body. */
export function expectAccepted(answer: Answer, input: string): void {
  const context = `${input}\n→ ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, `200 for the valid input: ${context}`).toBe(200);
  expect(answer.contentType, `JSON content type for: ${context}`).toMatch(/^application\/json/);
}
