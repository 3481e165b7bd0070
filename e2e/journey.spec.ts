import { expect, test } from './support/fixtures.ts';
import {
  expectSessionCookie,
  fieldsForCookie,
  findSessionCookie,
} from './support/session-cookie.ts';
import {
  addToCart,
  headerCart,
  signIn,
  signOut,
  TRAIL_BOTTLE,
  viewProduct,
} from './support/shop.ts';

test('a shopper signs in, fills the cart, reads flash messages and signs out, and every old session id dies', async ({
  page,
  context,
  request,
  baseURL,
}) => {
  const origin = baseURL as string;

  await test.step('browsing pages creates no session', async () => {
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    expect(await findSessionCookie(context)).toBeUndefined();
  });

  const anonymous = await test.step('viewing a product starts an anonymous session', async () => {
    await viewProduct(page, TRAIL_BOTTLE);
    const cookie = await expectSessionCookie(context);
    const fields = await fieldsForCookie(request, origin, cookie.value);
    expect(fields.recentlyViewed).toEqual([TRAIL_BOTTLE.id]);
    expect(fields.userId).toBeUndefined();
    return cookie;
  });

  const signedIn = await test.step('signing in moves the session to a new id', async () => {
    await signIn(page, 'Alice');
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByText('Welcome back, Alice.')).toBeVisible();
    await expect(page.getByRole('banner')).toContainText('Alice');

    const cookie = await expectSessionCookie(context);
    expect(cookie.value).not.toBe(anonymous.value);
    expect(await fieldsForCookie(request, origin, cookie.value)).toMatchObject({
      userId: 'u_alice',
      username: 'Alice',
    });
    // The anonymous id was replaced, not copied: its cookie opens nothing any more.
    expect(await fieldsForCookie(request, origin, anonymous.value)).toEqual({});
    return cookie;
  });

  await test.step('a flash message is shown exactly once', async () => {
    await page.reload();
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByText('Welcome back, Alice.')).toHaveCount(0);
  });

  await test.step('the cart fills field by field, with a flash message per action', async () => {
    await addToCart(page, TRAIL_BOTTLE);
    const cookie = await expectSessionCookie(context);
    const fields = await fieldsForCookie(request, origin, cookie.value);
    expect(fields[`cart:${TRAIL_BOTTLE.id}`]).toBe(1);
    expect(fields.userId).toBe('u_alice');

    // The header, rendered by the layout, follows the action's writes too.
    await expect(headerCart(page)).toHaveText(/^Cart\s*1\b/);

    await page.goto('/dashboard');
    await expect(page.getByTestId('cart-count')).toHaveText('1');
    await expect(page.getByTestId('cart-total')).toHaveText('$24.00');
  });

  await test.step('signing out ends the session and says so', async () => {
    const beforeSignOut = await expectSessionCookie(context);
    await signOut(page);
    await expect(page.getByText('You have signed out.')).toBeVisible();
    await expect(page.getByRole('banner').getByRole('button', { name: /sign out/i })).toHaveCount(
      0,
    );

    expect(await fieldsForCookie(request, origin, beforeSignOut.value)).toEqual({});
    expect(await fieldsForCookie(request, origin, signedIn.value)).toEqual({});
    // The flash message rode on a fresh session; if its cookie remains, it is a new id with
    // the same attributes.
    const after = await findSessionCookie(context);
    if (after) {
      await expectSessionCookie(context);
      expect(after.value).not.toBe(beforeSignOut.value);
      expect((await fieldsForCookie(request, origin, after.value)).userId).toBeUndefined();
    }

    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/login\?/);
  });
});
