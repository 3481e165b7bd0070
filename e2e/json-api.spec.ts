import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';
import {
  expectSessionCookie,
  fieldsForCookie,
  findSessionCookie,
} from './support/session-cookie.ts';

interface ApiCall {
  method: 'GET' | 'PUT' | 'DELETE' | 'POST';
  path: string;
  /** The raw body; sent with `contentType`. */
  body?: string;
  contentType?: string;
}

interface ApiAnswer {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  body: unknown;
}

/** Calls the API with `fetch` from the page, as the app's own scripts would. */
function callApi(page: Page, call: ApiCall): Promise<ApiAnswer> {
  return page.evaluate(async ({ method, path, body, contentType }) => {
    const response = await fetch(path, {
      method,
      ...(body === undefined ? {} : { body }),
      ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Left as text, so that a failure shows what came back.
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      cacheControl: response.headers.get('cache-control'),
      body: parsed,
    };
  }, call);
}

const json = (value: unknown) => ({ body: JSON.stringify(value), contentType: 'application/json' });

test('the JSON API reads, writes, removes, signs in and signs out', async ({
  page,
  context,
  request,
  baseURL,
}) => {
  await page.goto('/');

  const empty = await callApi(page, { method: 'GET', path: '/api/session' });
  expect(empty.status).toBe(200);
  expect(empty.body).toEqual({ fields: {} });
  // The first write creates the session and sets its cookie: no shared cache may keep that.
  expect(
    await callApi(page, { method: 'PUT', path: '/api/session/theme', ...json({ value: 'dark' }) }),
  ).toMatchObject({ status: 200, body: { ok: true }, cacheControl: 'private, no-store' });
  expect(
    await callApi(page, {
      method: 'PUT',
      path: '/api/session/coupon',
      ...json({ value: { code: 'TRAIL10', percent: 10 }, ttl: 600 }),
    }),
  ).toMatchObject({ status: 200, body: { ok: true } });
  expect(await callApi(page, { method: 'GET', path: '/api/session' })).toMatchObject({
    status: 200,
    body: { fields: { theme: 'dark', coupon: { code: 'TRAIL10', percent: 10 } } },
  });
  expect(await callApi(page, { method: 'DELETE', path: '/api/session/theme' })).toMatchObject({
    status: 200,
    body: { removed: true },
  });
  expect(await callApi(page, { method: 'DELETE', path: '/api/session/theme' })).toMatchObject({
    status: 200,
    body: { removed: false },
  });

  const anonymous = await expectSessionCookie(context);
  expect(
    await callApi(page, { method: 'POST', path: '/api/login', ...json({ username: 'Ada' }) }),
  ).toMatchObject({ status: 200, body: { userId: 'u_ada' }, cacheControl: 'private, no-store' });
  const signedIn = await expectSessionCookie(context);
  expect(signedIn.value).not.toBe(anonymous.value);
  expect(await fieldsForCookie(request, baseURL as string, anonymous.value)).toEqual({});
  expect(await callApi(page, { method: 'GET', path: '/api/session' })).toMatchObject({
    // The new id carries the session's data along.
    body: {
      fields: { userId: 'u_ada', username: 'Ada', coupon: { code: 'TRAIL10', percent: 10 } },
    },
  });

  expect(await callApi(page, { method: 'POST', path: '/api/logout' })).toMatchObject({
    status: 200,
    body: { ok: true },
    cacheControl: 'private, no-store',
  });
  expect(await findSessionCookie(context)).toBeUndefined();
  expect(await fieldsForCookie(request, baseURL as string, signedIn.value)).toEqual({});
  const afterLogout = await callApi(page, { method: 'GET', path: '/api/session' });
  expect(afterLogout.status).toBe(200);
  expect(afterLogout.body).toEqual({ fields: {} });
});

test('the JSON API answers bad input with a clear 4xx error and leaves the session intact', async ({
  page,
  context,
}) => {
  await page.goto('/');
  const setUp = await callApi(page, {
    method: 'PUT',
    path: '/api/session/greeting',
    ...json({ value: 'hello' }),
  });
  expect(setUp).toMatchObject({ status: 200, body: { ok: true } });
  const cookieBefore = await expectSessionCookie(context);

  const cases: Array<{ name: string; call: ApiCall; status: number }> = [
    {
      name: 'malformed JSON',
      call: {
        method: 'PUT',
        path: '/api/session/greeting',
        body: '{"value": ',
        contentType: 'application/json',
      },
      status: 400,
    },
    {
      name: 'a body that is not an object',
      call: { method: 'PUT', path: '/api/session/greeting', ...json(['hi']) },
      status: 400,
    },
    {
      name: 'a missing value',
      call: { method: 'PUT', path: '/api/session/greeting', ...json({ ttl: 60 }) },
      status: 400,
    },
    {
      name: 'a negative ttl',
      call: { method: 'PUT', path: '/api/session/greeting', ...json({ value: 'x', ttl: -5 }) },
      status: 400,
    },
    {
      name: 'a ttl that is not a number',
      call: { method: 'PUT', path: '/api/session/greeting', ...json({ value: 'x', ttl: 'soon' }) },
      status: 400,
    },
    {
      name: 'a ttl beyond 100 years',
      call: { method: 'PUT', path: '/api/session/greeting', ...json({ value: 'x', ttl: 1e10 }) },
      status: 400,
    },
    {
      name: 'an empty key',
      call: { method: 'PUT', path: '/api/session', ...json({ value: 'x' }) },
      status: 400,
    },
    {
      name: 'a key in the reserved flash namespace',
      call: {
        method: 'PUT',
        path: `/api/session/${encodeURIComponent('@flash:notice')}`,
        ...json({ value: 'x' }),
      },
      status: 400,
    },
    {
      name: 'a key longer than 256 characters',
      call: { method: 'PUT', path: `/api/session/${'k'.repeat(300)}`, ...json({ value: 'x' }) },
      status: 400,
    },
    {
      name: 'removing an invalid key',
      call: { method: 'DELETE', path: `/api/session/${encodeURIComponent('@flash:notice')}` },
      status: 400,
    },
    {
      name: 'a value over the 4096-byte limit',
      call: { method: 'PUT', path: '/api/session/greeting', ...json({ value: 'x'.repeat(5000) }) },
      status: 413,
    },
    {
      name: 'a body over 64 KB (of harmless whitespace)',
      call: {
        method: 'PUT',
        path: '/api/session/greeting',
        body: `{"value": "x"}${' '.repeat(70_000)}`,
        contentType: 'application/json',
      },
      status: 413,
    },
    {
      name: 'a content type other than JSON',
      call: {
        method: 'PUT',
        path: '/api/session/greeting',
        body: JSON.stringify({ value: 'x' }),
        contentType: 'text/plain',
      },
      status: 415,
    },
    {
      name: 'signing in without a username',
      call: { method: 'POST', path: '/api/login', ...json({}) },
      status: 400,
    },
    {
      name: 'signing in with malformed JSON',
      call: {
        method: 'POST',
        path: '/api/login',
        body: '{username',
        contentType: 'application/json',
      },
      status: 400,
    },
  ];

  for (const { name, call, status } of cases) {
    await test.step(`${name} → ${status}`, async () => {
      const answer = await callApi(page, call);
      expect(answer.status).toBe(status);
      expect(answer.contentType).toMatch(/^application\/json/);
      const error = (answer.body as { error?: unknown }).error;
      expect(typeof error).toBe('string');
      expect((error as string).length).toBeGreaterThan(0);
    });
  }

  expect(await callApi(page, { method: 'GET', path: '/api/session' })).toMatchObject({
    status: 200,
    body: { fields: { greeting: 'hello' } },
  });
  expect((await expectSessionCookie(context)).value).toBe(cookieBefore.value);
});

test('a client cannot sign itself in through the JSON API', async ({ page }) => {
  await page.goto('/');
  // Before the fix, these two writes passed the dashboard's check without signing in.
  for (const [key, value] of [
    ['userId', 'u_admin'],
    ['username', 'admin'],
  ]) {
    const answer = await callApi(page, {
      method: 'PUT',
      path: `/api/session/${key}`,
      ...json({ value }),
    });
    expect(answer.status).toBe(403);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect((answer.body as { error?: unknown }).error).toMatch(/signing in/);
  }
  expect(await callApi(page, { method: 'DELETE', path: '/api/session/userId' })).toMatchObject({
    status: 403,
  });
  expect(await callApi(page, { method: 'GET', path: '/api/session' })).toMatchObject({
    status: 200,
    body: { fields: {} },
  });
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard$/);
});

test('a client cannot grow its session past 256 keys: 40 racing PUTs fill it exactly', async ({
  page,
}) => {
  await page.goto('/');
  // One key creates the session (racing requests without a cookie would each create their
  // own), 215 more one batch after another, then 40 new keys racing for the last 40 places and
  // 40 more racing for none.
  expect(
    await callApi(page, { method: 'PUT', path: '/api/session/k0', ...json({ value: 1 }) }),
  ).toMatchObject({ status: 200 });
  for (let start = 1; start < 216; start += 24) {
    const answers = await page.evaluate(async (from) => {
      const puts = Array.from({ length: Math.min(24, 216 - from) }, (_, i) =>
        fetch(`/api/session/k${from + i}`, {
          method: 'PUT',
          body: JSON.stringify({ value: 1 }),
          headers: { 'content-type': 'application/json' },
        }).then((response) => response.status),
      );
      return Promise.all(puts);
    }, start);
    expect(answers.every((status) => status === 200)).toBe(true);
  }
  const raced = await page.evaluate(async () => {
    const puts = Array.from({ length: 80 }, (_, i) =>
      fetch(`/api/session/racer${i}`, {
        method: 'PUT',
        body: JSON.stringify({ value: i }),
        headers: { 'content-type': 'application/json' },
      }).then(async (response) => ({ status: response.status, body: await response.json() })),
    );
    return Promise.all(puts);
  });
  expect(raced.filter((answer) => answer.status === 200)).toHaveLength(40);
  const refused = raced.filter((answer) => answer.status !== 200);
  expect(refused).toHaveLength(40);
  for (const answer of refused) {
    expect(answer.status).toBe(413);
    expect((answer.body as { error: string }).error).toMatch(/maxFields \(256 fields\)/);
  }
  const session = await callApi(page, { method: 'GET', path: '/api/session' });
  expect(Object.keys((session.body as { fields: object }).fields)).toHaveLength(256);
  // Replacing a key is still allowed once the session is full.
  expect(
    await callApi(page, { method: 'PUT', path: '/api/session/k0', ...json({ value: 2 }) }),
  ).toMatchObject({ status: 200 });
});
