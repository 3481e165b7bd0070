/**
 * Fuzzing of the JSON API with fast-check: hundreds of generated bodies, keys and content types
 * per endpoint (malformed JSON, wrong types, `__proto__` and other odd keys, unicode with lone
 * surrogates, deep nesting, bodies past the limit). A model of the API's contract
 * (`support/json-api-model.ts`) decides from each request alone whether it is valid; a valid one
 * must succeed, any other must get a 4xx in the API's error shape, and nothing may get a 5xx.
 * The bad requests carry the cookie of a signed-in session with a cart, which must come out
 * with the same cookie, the same data, and exactly the fields the valid requests wrote.
 */

import fc from 'fast-check';
import { expect, test } from './support/fixtures.ts';
import {
  type Answer,
  describeInput,
  expectAccepted,
  expectRefused,
  FuzzClient,
  sessionCookieFrom,
} from './support/fuzz-client.ts';
import {
  contentType,
  keySegment,
  LONE_SURROGATE,
  loginBody,
  malformedBody,
  oddString,
  putBody,
  type RawBody,
} from './support/json-api-arbitraries.ts';
import { judgeDelete, judgeLogin, judgePut } from './support/json-api-model.ts';

/** What the signed-in session holds before the fuzzing starts. */
const BASE_FIELDS: Record<string, unknown> = {
  userId: 'u_fuzzer',
  username: 'fuzzer',
  'cart:trail-bottle': 2,
  'cart:lumen-headlamp': 1,
};
const reserved = (key: string) => Object.hasOwn(BASE_FIELDS, key) || key.startsWith('cart:');
/** Keys the fuzzing never writes: the cart's. The sign-in keys it tries, and must be refused. */
const unwritten = (key: string) => key.startsWith('cart:');

/** TTLs shorter than this may run out before the final read, which then may not see the field. */
const SHORT_TTL_SECONDS = 120;

const JSON_TYPE = 'application/json';
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** A JSON value as it comes back through `JSON.stringify` (`-0` as `0`, and so on). */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

test.describe.configure({ mode: 'serial' });

let client: FuzzClient;
/** The `Cookie` header of the signed-in session every bad request carries. */
let cookie: string;
/** The fields valid fuzzed writes put in that session, by key. */
const written = new Map<string, { value: unknown; mayExpire: boolean }>();

/** Checks that the session still answers to its first cookie with the data the model expects. */
async function expectSessionIntact(): Promise<void> {
  const answer = await client.send(
    { method: 'GET', path: '/api/session', cookie },
    { counted: false },
  );
  expect(answer.status).toBe(200);
  expect(answer.setCookie).toEqual([]);
  const fields = (answer.json as { fields: Record<string, unknown> }).fields;
  for (const [key, value] of Object.entries(BASE_FIELDS)) expect(fields[key]).toEqual(value);
  const extra = new Map(Object.entries(fields).filter(([key]) => !reserved(key)));
  for (const [key, { value, mayExpire }] of written) {
    if (mayExpire && !extra.has(key)) continue;
    expect(extra.has(key), `field ${JSON.stringify(key)} is still there`).toBe(true);
    // Exactly as sent: a value with a lone surrogate, which UTF-8 cannot hold, is refused.
    expect(extra.get(key), `field ${JSON.stringify(key)}`).toEqual(viaJson(value));
    extra.delete(key);
  }
  expect([...extra.keys()], 'no field the model does not know of').toEqual([]);
}

test.beforeAll(async ({ appServer }) => {
  client = new FuzzClient(appServer.url);
  written.clear();
  const login = await client.send(
    {
      method: 'POST',
      path: '/api/login',
      contentType: JSON_TYPE,
      body: json({ username: 'fuzzer' }),
    },
    { counted: false },
  );
  expect(login.status).toBe(200);
  cookie = sessionCookieFrom(login);
  for (const key of ['cart:trail-bottle', 'cart:lumen-headlamp']) {
    const put = await client.send(
      {
        method: 'PUT',
        path: `/api/session/${encodeURIComponent(key)}`,
        cookie,
        contentType: JSON_TYPE,
        body: json({ value: BASE_FIELDS[key] }),
      },
      { counted: false },
    );
    expect(put.status).toBe(200);
  }
  await expectSessionIntact();
});

test('PUT /api/session/<key> with generated keys and bodies', async () => {
  await fc.assert(
    fc.asyncProperty(keySegment(unwritten), putBody, async (segment, { contentType, body }) => {
      const input = describeInput({ segment, contentType, body });
      const verdict = judgePut(segment, contentType, body);
      const answer = await client.send({
        method: 'PUT',
        path: `/api/session/${segment}`,
        cookie,
        ...(contentType === undefined ? {} : { contentType }),
        body,
      });
      if (!verdict.valid) return expectRefused(answer, verdict.statuses, input);
      expectAccepted(answer, input);
      expect(answer.json).toEqual({ ok: true });
      const { key, value, ttl } = verdict.effect;
      written.set(key, { value, mayExpire: ttl !== undefined && ttl < SHORT_TTL_SECONDS });
    }),
    {
      numRuns: 350,
      // Always tried first: keys named like Object.prototype members, and undecodable paths.
      examples: ['__proto__', 'constructor', 'toString', '%', '%ED%A0%80'].map(
        (segment): [string, RawBody] => [
          segment,
          {
            contentType: JSON_TYPE,
            body: new TextEncoder().encode(
              `{"value":{"__proto__":{"polluted":true},"in":"${segment}"}}`,
            ),
          },
        ],
      ),
    },
  );
  await expectSessionIntact();
});

test('DELETE /api/session/<key> with generated keys', async () => {
  await fc.assert(
    fc.asyncProperty(keySegment(unwritten), malformedBody, async (segment, body) => {
      const input = describeInput({ segment, body });
      const verdict = judgeDelete(segment);
      const answer = await client.send({
        method: 'DELETE',
        path: `/api/session/${segment}`,
        cookie,
        contentType: JSON_TYPE,
        body,
      });
      if (!verdict.valid) return expectRefused(answer, verdict.statuses, input);
      expectAccepted(answer, input);
      const key = verdict.effect;
      const entry = written.get(key);
      if (entry?.mayExpire) {
        expect(answer.json).toMatchObject({ removed: expect.any(Boolean) });
      } else {
        expect(answer.json, input).toEqual({ removed: entry !== undefined });
      }
      written.delete(key);
    }),
    { numRuns: 150 },
  );
  await expectSessionIntact();
});

/** Signs a throwaway session out again, so valid logins leave nothing behind. */
async function signOut(answer: Answer): Promise<void> {
  const logout = await client.send(
    { method: 'POST', path: '/api/logout', cookie: sessionCookieFrom(answer) },
    { counted: false },
  );
  expect(logout.status).toBe(200);
}

test('POST /api/login with generated bodies', async () => {
  await fc.assert(
    fc.asyncProperty(loginBody, async ({ contentType, body }) => {
      const input = describeInput({ contentType, body });
      const verdict = judgeLogin(contentType, body);
      // A valid login regenerates the session it comes with, so it comes with none; a refused
      // one carries the signed-in session, which must not notice.
      const answer = await client.send({
        method: 'POST',
        path: '/api/login',
        ...(verdict.valid ? {} : { cookie }),
        ...(contentType === undefined ? {} : { contentType }),
        body,
      });
      if (!verdict.valid) return expectRefused(answer, verdict.statuses, input);
      expectAccepted(answer, input);
      expect(answer.json).toEqual({ userId: verdict.effect });
      await signOut(answer);
    }),
    { numRuns: 200 },
  );
  await expectSessionIntact();
});

test('the API without a key, reads with odd queries, and sign-outs with junk bodies', async () => {
  const query = fc
    .array(
      fc.oneof(
        oddString.filter((s) => s.replace(LONE_SURROGATE, '') === s).map(encodeURIComponent),
        fc.constantFrom('%', '%ZZ', '%E2%82', '=', '&', '__proto__=1', 'constructor[x]=1'),
      ),
      { maxLength: 4 },
    )
    .map((parts) => parts.join('&'));
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('PUT' as const, 'DELETE' as const),
      putBody,
      async (method, { contentType, body }) => {
        const answer = await client.send({
          method,
          path: '/api/session',
          cookie,
          ...(contentType === undefined ? {} : { contentType }),
          body,
        });
        expectRefused(answer, new Set([400]), describeInput({ method, contentType, body }));
      },
    ),
    { numRuns: 50 },
  );
  const expected = (
    await client.send({ method: 'GET', path: '/api/session', cookie }, { counted: false })
  ).json;
  await fc.assert(
    fc.asyncProperty(query, async (search) => {
      const answer = await client.send({ method: 'GET', path: `/api/session?${search}`, cookie });
      expectAccepted(answer, describeInput({ search }));
      expect(answer.json).toEqual(expected);
    }),
    { numRuns: 50 },
  );
  await fc.assert(
    fc.asyncProperty(contentType, malformedBody, async (type, body) => {
      const created = await client.send(
        {
          method: 'PUT',
          path: '/api/session/throwaway',
          contentType: JSON_TYPE,
          body: json({ value: true }),
        },
        { counted: false },
      );
      const throwaway = sessionCookieFrom(created);
      const answer = await client.send({
        method: 'POST',
        path: '/api/logout',
        cookie: throwaway,
        ...(type === undefined ? {} : { contentType: type }),
        body,
      });
      // Signing out reads no body, so any body is fine.
      expectAccepted(answer, describeInput({ type, body }));
      expect(answer.json).toEqual({ ok: true });
      const after = await client.send(
        { method: 'GET', path: '/api/session', cookie: throwaway },
        { counted: false },
      );
      expect(after.json).toEqual({ fields: {} });
    }),
    { numRuns: 30 },
  );
  await expectSessionIntact();
});

test('bodies of 1 to 5 MB, with a length and streamed', async () => {
  const huge = fc.record({
    megabytes: fc.double({ min: 1, max: 5, noNaN: true }),
    streamed: fc.boolean(),
    path: fc.constantFrom('/api/session/greeting', '/api/login'),
  });
  await fc.assert(
    fc.asyncProperty(huge, async ({ megabytes, streamed, path }) => {
      const size = Math.round(megabytes * 1024 * 1024);
      const body = new TextEncoder().encode(`{"value":"${'x'.repeat(size)}"}`);
      const answer = await client.send({
        method: path === '/api/login' ? 'POST' : 'PUT',
        path,
        cookie,
        contentType: JSON_TYPE,
        body: streamed ? chunked(body) : body,
      });
      expectRefused(answer, new Set([413]), describeInput({ path, size, streamed }));
    }),
    // Each failing try can take seconds (a reset connection), so report the first one as is.
    { numRuns: 8, endOnFailure: true },
  );
  await expectSessionIntact();
});

/** A stream of `bytes` in 64 KB chunks, which fetch sends without a Content-Length. */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 65_536));
      offset += 65_536;
    },
  });
}

test('the signed-in session survives all of it, and nothing got a 5xx', async () => {
  await expectSessionIntact();
  const { tally } = client;
  console.log(
    `[reliability] json-api fuzz: ${tally.calls} bodies, 4xx ${tally['4xx']}, ` +
      `2xx ${tally['2xx']}, 5xx ${tally['5xx']} (${test.info().project.name})`,
  );
  expect(tally['5xx']).toBe(0);
  expect(tally.other).toBe(0);
});
