import type { BrowserContext, Page } from '@playwright/test';
import { cookieName } from './support/consumer-app.ts';
import { expect, test } from './support/fixtures.ts';

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto('/login');
  await page.getByPlaceholder('Username').fill(username);
  await page.getByPlaceholder(/Password/).fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText(`Signed in as ${username}`)).toBeVisible();
}

async function sessionCookie(context: BrowserContext, name: string): Promise<string | undefined> {
  return (await context.cookies()).find((cookie) => cookie.name === name)?.value;
}

test('the guard sends a visitor without a session to the login page, with the way back', async ({
  page,
}) => {
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

test('a wrong password leaves the visitor signed out', async ({ page, context, variant }) => {
  await page.goto('/login');
  await page.getByPlaceholder('Username').fill('alice');
  await page.getByPlaceholder(/Password/).fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Wrong username or password.')).toBeVisible();
  expect(await sessionCookie(context, cookieName(variant))).toBeUndefined();
});

test('pages and Route Handlers see one session, and signing out ends it for both', async ({
  page,
  context,
  browser,
  baseURL,
  variant,
}) => {
  const name = cookieName(variant);
  await signIn(page, 'alice');
  const cookie = await sessionCookie(context, name);
  expect(cookie).toBeDefined();

  // A Route Handler reads what the sign-in Server Action wrote, and writes for the page to read.
  const added = await page.request.post('/api/cart', { data: { item: 'boots' } });
  expect(added.status()).toBe(200);
  expect(added.headers()['set-cookie']).toBeUndefined();
  const cart = await page.request.get('/api/cart');
  expect(await cart.json()).toEqual({ userId: 'alice', cart: ['boots'] });
  await page.reload();
  await expect(page.getByText('Cart: boots')).toBeVisible();
  expect(await sessionCookie(context, name)).toBe(cookie);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect(await sessionCookie(context, name)).toBeUndefined();

  // The old cookie, replayed after sign-out, opens nothing: not a Route Handler, not a page.
  const replay = await browser.newContext({ baseURL });
  try {
    // Planted as the browser kept it: __Host- cookies take a path, not a url.
    await replay.addCookies([
      {
        name,
        value: cookie as string,
        domain: new URL(baseURL as string).hostname,
        path: '/',
        secure: variant.server === 'next start',
        httpOnly: true,
        sameSite: 'Lax',
      },
    ]);
    const read = await replay.request.get('/api/cart');
    expect(await read.json()).toEqual({ userId: null, cart: [] });
    const write = await replay.request.post('/api/cart', { data: { item: 'stolen' } });
    expect(write.status()).toBe(401);
    const replayed = await replay.newPage();
    await replayed.goto('/account');
    await expect(replayed).toHaveURL(/\/login(\?next=%2Faccount)?$/);
  } finally {
    await replay.close();
  }
});

test('a session stops at 256 fields with the SessionTooLargeError the app imports', async ({
  page,
}) => {
  const filled = await page.request.post('/api/fill');
  expect(await filled.json()).toEqual({
    written: 256,
    refused: true,
    code: 'RUTS_SESSION_TOO_LARGE',
  });
});

test('runs with no setting but the README names, and warns of middleware.ts as Next does', ({
  app,
  variant,
}) => {
  // As the README quotes it; `next dev` prints it when it starts, `next build` when it builds.
  const deprecated = 'The "middleware" file convention is deprecated. Please use "proxy" instead.';
  const printed = variant.server === 'next dev' ? app.output() : app.buildOutput;
  expect(printed).toMatch(variant.server === 'next dev' ? /Ready in/ : /Compiled successfully/);
  if (variant.guard === 'middleware.ts') expect(printed).toContain(deprecated);
  else expect(printed).not.toContain(deprecated);
});
