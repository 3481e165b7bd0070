/**
 * Rotating the session secret on a running app: cookies sealed under the old secret keep
 * working while it is configured, new cookies are sealed under the new one, and once the old
 * secret is removed its cookies are "no session", answered as such, never with an error page.
 */

import { expect, test } from './support/fixtures.ts';
import { FuzzClient, sessionCookieFrom } from './support/fuzz-client.ts';
import { TEST_SESSION_SECRET } from './support/run-settings.ts';

const NEW_SECRET = 'e2e-only-rotated-secret-9876543210-zyxwvutsrqpo';
const JSON_TYPE = 'application/json';

/** The id of the secret that sealed a `name=Fe26.2*<id>*...` cookie. */
const sealedWith = (cookie: string) => decodeURIComponent(cookie).split('*')[1];

test('old cookies work until their secret is removed, then are "no session"', async ({
  appServer,
}) => {
  test.setTimeout(120_000);
  const client = new FuzzClient(appServer.url);
  const signIn = async (username: string) => {
    const answer = await client.send({
      method: 'POST',
      path: '/api/login',
      contentType: JSON_TYPE,
      body: new TextEncoder().encode(JSON.stringify({ username })),
    });
    expect(answer.status).toBe(200);
    return sessionCookieFrom(answer);
  };
  const fieldsOf = async (cookie: string) => {
    const answer = await client.send({ method: 'GET', path: '/api/session', cookie });
    expect(answer.status).toBe(200);
    expect(answer.setCookie.filter((c) => !c.includes('Max-Age=0'))).toEqual([]);
    return (answer.json as { fields: Record<string, unknown> }).fields;
  };

  try {
    const old = await signIn('Ada');
    // A lone secret is id 1.
    expect(sealedWith(old)).toBe('1');
    expect(await fieldsOf(old)).toMatchObject({ username: 'Ada' });

    await appServer.restart({ SESSION_SECRET: `2:${NEW_SECRET},1:${TEST_SESSION_SECRET}` });
    expect(await fieldsOf(old)).toMatchObject({ username: 'Ada' });
    const fresh = await signIn('Grace');
    expect(sealedWith(fresh)).toBe('2');

    await appServer.restart({ SESSION_SECRET: `2:${NEW_SECRET}` });
    expect(await fieldsOf(old)).toEqual({});
    expect(await fieldsOf(fresh)).toMatchObject({ username: 'Grace' });
    // Pages too: a cookie nobody can open is a visitor without a session, not a server error.
    for (const path of ['/', '/login', '/cart', '/session']) {
      const page = await client.send({ method: 'GET', path, cookie: old });
      expect(page.status, path).toBe(200);
    }
    console.log(
      '[reliability] secret rotation: old cookie accepted under {2: new, 1: old}, new cookies sealed with 2, old cookie "no session" (200) once 1 was removed',
    );
  } finally {
    await appServer.restart();
  }
});
