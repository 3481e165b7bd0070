/**
 * Session ids never reach the server's log: after sign-ins, writes, a regenerate, a sign-out and
 * requests with forged cookies, the log holds neither an id, nor the secret part of one, nor a
 * cookie. The ids are recovered from the cookies the app set, with the app's secret.
 */

import { readFile } from 'node:fs/promises';
import { CookieSealer } from '../src/core/cookie-seal.ts';
import { expect, test } from './support/fixtures.ts';
import { FuzzClient, sessionCookieFrom } from './support/fuzz-client.ts';
import { TEST_SESSION_SECRET } from './support/run-settings.ts';

const JSON_TYPE = 'application/json';
const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

test('no session id or cookie appears in the server log', async ({ appServer }) => {
  const client = new FuzzClient(appServer.url);
  const cookies: string[] = [];
  const signIn = async (cookie?: string) => {
    const answer = await client.send({
      method: 'POST',
      path: '/api/login',
      contentType: JSON_TYPE,
      body: body({ username: 'log-reader' }),
      cookie,
    });
    expect(answer.status).toBe(200);
    const issued = sessionCookieFrom(answer);
    cookies.push(issued);
    return issued;
  };

  for (let i = 0; i < 3; i++) {
    const first = await signIn();
    const put = await client.send({
      method: 'PUT',
      path: '/api/session/theme',
      contentType: JSON_TYPE,
      body: body({ value: 'dark' }),
      cookie: first,
    });
    expect(put.status).toBe(200);
    // Signing in again regenerates the id: the first one is retired.
    const second = await signIn(first);
    expect(second).not.toBe(first);
    // A retired cookie and a forged one are "no session", and may be logged as nothing else.
    for (const stale of [first, `${first}x`]) {
      const read = await client.send({ method: 'GET', path: '/api/session', cookie: stale });
      expect(read.status).toBe(200);
    }
    expect(
      (await client.send({ method: 'POST', path: '/api/logout', cookie: second })).status,
    ).toBe(200);
  }

  const sealer = new CookieSealer({ secret: TEST_SESSION_SECRET, ttlSeconds: 3600 });
  const ids: string[] = [];
  for (const cookie of cookies) {
    const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
    const verified = await sealer.unseal(value);
    expect(verified, 'the test can read the ids the app issued').toBeDefined();
    ids.push(verified?.id as string);
  }
  expect(new Set(ids).size).toBe(6);

  const log = await readFile(appServer.logFile, 'utf8');
  expect(log.length).toBeGreaterThan(0);
  for (const [i, id] of ids.entries()) {
    expect(log).not.toContain(id);
    // The first 8 characters are the id's family, which store keys show; the rest is secret.
    expect(log).not.toContain(id.slice(8));
    expect(log).not.toContain(cookies[i]?.slice(cookies[i].indexOf('=') + 1, 60));
  }
  console.log(
    `[reliability] ids in logs: ${ids.length} ids issued, ${log.length} bytes of server log searched, 0 found`,
  );
});
