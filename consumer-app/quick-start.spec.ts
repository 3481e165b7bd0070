import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';

/** The cookie the README's defaults give under `next start` (production: Secure, `__Host-`). */
const COOKIE = '__Host-ruts';

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto('/login');
  await page.getByPlaceholder('Username').fill(username);
  await page.getByPlaceholder(/Password/).fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText(`Signed in as ${username}`)).toBeVisible();
}

async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((cookie) => cookie.name === COOKIE)?.value;
}

test('the guard sends a visitor without a session to the login page, with the way back', async ({
  page,
}) => {
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

test('a wrong password leaves the visitor signed out', async ({ page, context }) => {
  await page.goto('/login');
  await page.getByPlaceholder('Username').fill('alice');
  await page.getByPlaceholder(/Password/).fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Wrong username or password.')).toBeVisible();
  expect(await sessionCookie(context)).toBeUndefined();
});

test('pages and Route Handlers see one session, and signing out ends it for both', async ({
  page,
  context,
  browser,
  baseURL,
}) => {
  await signIn(page, 'alice');
  const cookie = await sessionCookie(context);
  expect(cookie).toBeDefined();

  // A Route Handler reads what the sign-in Server Action wrote, and writes for the page to read.
  const added = await page.request.post('/api/cart', { data: { item: 'boots' } });
  expect(added.status()).toBe(200);
  expect(added.headers()['set-cookie']).toBeUndefined();
  const cart = await page.request.get('/api/cart');
  expect(await cart.json()).toEqual({ userId: 'alice', cart: ['boots'] });
  await page.reload();
  await expect(page.getByText('Cart: boots')).toBeVisible();
  expect(await sessionCookie(context)).toBe(cookie);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect(await sessionCookie(context)).toBeUndefined();

  // The old cookie, replayed after sign-out, opens nothing: not a Route Handler, not a page.
  const replay = await browser.newContext({ baseURL });
  try {
    // Planted as the browser kept it: __Host- cookies take a path, not a url.
    await replay.addCookies([
      {
        name: COOKIE,
        value: cookie as string,
        domain: new URL(baseURL as string).hostname,
        path: '/',
        secure: true,
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

test('builds with no setting but the README names, and warns of middleware.ts as Next does', ({
  app,
  variant,
}) => {
  // As the README quotes it.
  const deprecated = 'The "middleware" file convention is deprecated. Please use "proxy" instead.';
  if (variant.guard === 'middleware.ts') expect(app.buildOutput).toContain(deprecated);
  else expect(app.buildOutput).not.toContain(deprecated);
});
