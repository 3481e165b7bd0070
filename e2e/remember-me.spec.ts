import type { BrowserContext } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';
import { fieldsForCookie, findSessionCookie } from './support/session-cookie.ts';
import { addToCart, signIn, TRAIL_BOTTLE } from './support/shop.ts';

/** What "Remember me" promises: thirty days from the last visit (`example-app/lib/sign-in.ts`). */
const REMEMBER_ME_SECONDS = 30 * 24 * 60 * 60;

/** The session cookie as the browser's cookie jar holds it, with the attributes it must keep. */
async function jarCookie(context: BrowserContext) {
  const cookie = await findSessionCookie(context);
  expect(cookie, 'the browser holds a session cookie').toBeDefined();
  expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
  return cookie as NonNullable<typeof cookie>;
}

/** Expects the cookie to expire `seconds` from now, give or take a minute. */
function expectExpiresIn(expires: number, seconds: number): void {
  const now = Date.now() / 1000;
  expect(expires).toBeGreaterThan(now + seconds - 60);
  expect(expires).toBeLessThan(now + seconds + 60);
}

test('"Remember me" keeps the browser signed in for thirty days; without it the cookie ends with the browser', async ({
  page,
  context,
  request,
  baseURL,
}) => {
  const origin = baseURL as string;

  await test.step('the login form offers "Remember me", unticked', async () => {
    await page.goto('/login');
    await expect(page.getByLabel(/remember me/i)).not.toBeChecked();
  });

  await test.step('unticked: a browser-session cookie, for a signed-in session', async () => {
    await signIn(page, 'Nora', '/login', { remember: false });
    await expect(page).toHaveURL(/\/dashboard$/);
    const cookie = await jarCookie(context);
    expect(cookie.expires).toBe(-1);
    expect(await fieldsForCookie(request, origin, cookie.value)).toMatchObject({
      userId: 'u_nora',
    });

    // Later requests keep it a browser-session cookie.
    await addToCart(page, TRAIL_BOTTLE);
    await page.goto('/dashboard');
    await expect(page.getByTestId('cart-count')).toHaveText('1');
    expect((await jarCookie(context)).expires).toBe(-1);
  });

  await test.step('ticked: a cookie that expires thirty days from now, for the same cart', async () => {
    const before = (await jarCookie(context)).value;
    await signIn(page, 'Nora', '/login', { remember: true });
    await expect(page).toHaveURL(/\/dashboard$/);
    const cookie = await jarCookie(context);
    expect(cookie.value).not.toBe(before);
    expectExpiresIn(cookie.expires, REMEMBER_ME_SECONDS);
    expect(await fieldsForCookie(request, origin, cookie.value)).toMatchObject({
      userId: 'u_nora',
      [`cart:${TRAIL_BOTTLE.id}`]: 1,
    });
    // The old id died with the regenerate, whatever its cookie's lifetime.
    expect(await fieldsForCookie(request, origin, before)).toEqual({});

    // The edge guard in middleware.ts and the pages open the remembered cookie alike.
    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('cart-count')).toHaveText('1');
    expectExpiresIn((await jarCookie(context)).expires, REMEMBER_ME_SECONDS);
  });

  await test.step('unticked again: back to a browser-session cookie', async () => {
    await signIn(page, 'Nora', '/login', { remember: false });
    await expect(page).toHaveURL(/\/dashboard$/);
    expect((await jarCookie(context)).expires).toBe(-1);
  });
});

test('a remembered cookie survives a browser restart; a session cookie does not', async ({
  browser,
  baseURL,
}) => {
  for (const remember of [true, false]) {
    const first = await browser.newContext({ baseURL });
    const page = await first.newPage();
    await signIn(page, `restart-${remember}`, '/login', { remember });
    await expect(page).toHaveURL(/\/dashboard$/);
    // What a browser keeps across a restart: its persistent cookies only.
    const kept = (await first.storageState()).cookies.filter((cookie) => cookie.expires !== -1);
    await first.close();

    const restarted = await browser.newContext({
      baseURL,
      storageState: { cookies: kept, origins: [] },
    });
    try {
      const again = await restarted.newPage();
      await again.goto('/dashboard');
      if (remember) {
        await expect(again).toHaveURL(/\/dashboard$/);
        await expect(again.getByRole('banner')).toContainText(`restart-${remember}`);
      } else {
        await expect(again).toHaveURL(/\/login\?next=%2Fdashboard$/);
      }
    } finally {
      await restarted.close();
    }
  }
});
