import { expect, test } from './support/fixtures.ts';
import {
  addToCart,
  HEADLAMP,
  headerCart,
  increaseQuantity,
  quantityOf,
  signIn,
  TRAIL_BOTTLE,
} from './support/shop.ts';

test('two tabs changing different cart lines at the same moment both keep their change', async ({
  page,
  context,
}) => {
  await signIn(page, 'Tove');
  await addToCart(page, TRAIL_BOTTLE);
  await addToCart(page, HEADLAMP);

  const left = page;
  const right = await context.newPage();
  await left.goto('/cart');
  await right.goto('/cart');

  const rounds = 3;
  for (let round = 1; round <= rounds; round++) {
    await test.step(`round ${round}: both "+" buttons at once`, async () => {
      await Promise.all([increaseQuantity(left, TRAIL_BOTTLE), increaseQuantity(right, HEADLAMP)]);
      await expect(quantityOf(left, TRAIL_BOTTLE)).toHaveText(String(1 + round));
      await expect(quantityOf(right, HEADLAMP)).toHaveText(String(1 + round));
    });
  }

  for (const tab of [left, right]) {
    await tab.reload();
    await expect(quantityOf(tab, TRAIL_BOTTLE)).toHaveText(String(1 + rounds));
    await expect(quantityOf(tab, HEADLAMP)).toHaveText(String(1 + rounds));
    await expect(headerCart(tab)).toHaveText(new RegExp(`^Cart\\s*${2 * (1 + rounds)}\\b`));
  }
});
