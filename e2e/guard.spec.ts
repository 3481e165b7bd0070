import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';
import {
  expectSessionCookie,
  findSessionCookie,
  plantSessionCookie,
  SESSION_COOKIE,
  tamperWith,
} from './support/session-cookie.ts';
import { signIn, signOut } from './support/shop.ts';

const PROTECTED_PATHS = ['/dashboard', '/cart', '/session'];

/** Expects `page` to be on the login page, asked to send the user back to `returnTo`. */
async function expectLoginFor(page: Page, returnTo: string): Promise<void> {
  await expect(page).toHaveURL(/\/login\?/);
  const url = new URL(page.url());
  expect(url.pathname).toBe('/login');
  expect(url.searchParams.get('next')).toBe(returnTo);
  await expect(page.getByLabel(/username/i)).toBeVisible();
}

test('without a session, protected pages redirect to the login page with the way back', async ({
  page,
  request,
  baseURL,
}) => {
  for (const path of PROTECTED_PATHS) {
    await test.step(path, async () => {
      const response = await request.get(new URL(path, baseURL).href, { maxRedirects: 0 });
      expect(response.status()).toBe(307);
      const location = new URL(response.headers().location ?? '', baseURL);
      expect(location.pathname).toBe('/login');
      expect(location.searchParams.get('next')).toBe(path);

      await page.goto(path);
      await expectLoginFor(page, path);
    });
  }
});

test('signing in from the redirect returns to the page asked for', async ({ page }) => {
  await page.goto('/cart?from=header');
  await expectLoginFor(page, '/cart?from=header');
  await page.getByLabel(/username/i).fill('Bea');
  await page.getByRole('button', { name: /sign in/i }).click();
  await expect(page).toHaveURL(/\/cart\?from=header$/);
});

test('a return path to another site is ignored after signing in', async ({ page }) => {
  await signIn(page, 'Bea', '/login?next=//evil.example/steal');
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('a tampered session cookie is cleared and the guard redirects to the login page', async ({
  page,
  context,
  request,
  baseURL,
}) => {
  await signIn(page, 'Tamsin');
  const genuine = await expectSessionCookie(context);
  const forged = tamperWith(genuine.value);

  await test.step('the guard answers 307 and clears the cookie', async () => {
    const response = await request.get(new URL('/dashboard', baseURL).href, {
      headers: { cookie: `${SESSION_COOKIE}=${forged}` },
      maxRedirects: 0,
    });
    expect(response.status()).toBe(307);
    const location = new URL(response.headers().location ?? '', baseURL);
    expect(location.pathname).toBe('/login');
    expect(location.searchParams.get('next')).toBe('/dashboard');
    const cleared = response
      .headersArray()
      .filter((header) => header.name.toLowerCase() === 'set-cookie')
      .map((header) => header.value)
      .find((value) => value.startsWith(`${SESSION_COOKIE}=`));
    expect(cleared, 'the response clears the session cookie').toBeDefined();
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });

  await test.step('in the browser, the forged cookie is gone after the redirect', async () => {
    await context.clearCookies();
    await plantSessionCookie(context, baseURL as string, forged);
    expect((await findSessionCookie(context))?.value).toBe(forged);
    await page.goto('/session');
    await expectLoginFor(page, '/session');
    expect(await findSessionCookie(context)).toBeUndefined();
  });
});

test('a signed-out session still has a valid seal, but the pages treat it as signed out', async ({
  page,
  context,
  browser,
  baseURL,
}) => {
  await signIn(page, 'Olaf');
  const old = await expectSessionCookie(context);
  await signOut(page);

  const other = await browser.newContext({ baseURL: baseURL as string });
  try {
    await plantSessionCookie(other, baseURL as string, old.value);
    const replay = await other.newPage();
    await replay.goto('/dashboard');
    await expect(replay).toHaveURL(/\/login(\?|$)/);
    await expect(replay.getByText('Olaf')).toHaveCount(0);
  } finally {
    await other.close();
  }
});
