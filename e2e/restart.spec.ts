import { expect, test } from './support/fixtures.ts';
import { expectSessionCookie } from './support/session-cookie.ts';
import { addToCart, HEADLAMP, quantityOf, signIn, TRAIL_BOTTLE } from './support/shop.ts';

test('a session survives a server restart on the embedded store', async ({
  page,
  context,
  appServer,
}) => {
  test.setTimeout(120_000);

  await signIn(page, 'Rosa');
  await addToCart(page, TRAIL_BOTTLE);
  await addToCart(page, TRAIL_BOTTLE);
  await addToCart(page, HEADLAMP);
  await expect(page).toHaveURL(/\/cart$/);
  const before = await expectSessionCookie(context);

  // A new process: the in-memory hot tier is gone, so everything comes back from PGlite's folder.
  await appServer.restart();

  await page.reload();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByRole('banner')).toContainText('Rosa');
  await expect(quantityOf(page, TRAIL_BOTTLE)).toHaveText('2');
  await expect(quantityOf(page, HEADLAMP)).toHaveText('1');
  await expect(page.getByTestId('cart-count')).toHaveText('3');

  await page.goto('/dashboard');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Rosa');
  expect((await expectSessionCookie(context)).value).toBe(before.value);
});
