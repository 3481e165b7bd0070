import { expect, test } from './support/fixtures.ts';
import { RECENTLY_VIEWED_TTL_SECONDS } from './support/run-settings.ts';
import { recentlyViewed, signIn, TRAIL_BOTTLE, viewProduct } from './support/shop.ts';

// The field lives RECENTLY_VIEWED_TTL_SECONDS (3 s in this run) after each view, so every check
// that expects to see it follows a view of its own.

test('the session page shows a field with its own expiry', async ({ page }) => {
  await signIn(page, 'Theo');
  await viewProduct(page, TRAIL_BOTTLE);
  await page.goto('/session');
  const row = page.getByRole('row').filter({ hasText: 'recentlyViewed' });
  await expect(row).toContainText(`["${TRAIL_BOTTLE.id}"]`);
  // A time of its own, where fields without a TTL say "with the session".
  await expect(row.locator('time')).toHaveCount(1);
  await expect(row).not.toContainText('with the session');
  await expect(page.getByRole('row').filter({ hasText: 'userId' })).toContainText(
    'with the session',
  );
});

test('a recently viewed product drops out of the list once its field TTL passes', async ({
  page,
}) => {
  await signIn(page, 'Tilde');
  await viewProduct(page, TRAIL_BOTTLE);
  const viewedAt = Date.now();

  await page.goto('/cart');
  await expect(recentlyViewed(page)).toContainText(TRAIL_BOTTLE.name);

  // Wait until the field's TTL has certainly passed, then ask the server again.
  await page.waitForTimeout(
    Math.max(0, viewedAt + (RECENTLY_VIEWED_TTL_SECONDS + 1) * 1000 - Date.now()),
  );
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(recentlyViewed(page)).toBeVisible();
  await expect(recentlyViewed(page).getByText(TRAIL_BOTTLE.name)).toHaveCount(0);

  // Only the field expired: the session and its other fields live on.
  await expect(page.getByRole('banner')).toContainText('Tilde');
  await page.goto('/session');
  await expect(page.getByRole('row').filter({ hasText: 'userId' })).toContainText('"u_tilde"');
  await expect(page.getByRole('row').filter({ hasText: 'recentlyViewed' })).toHaveCount(0);
  const fields = await page.evaluate(async () => {
    const response = await fetch('/api/session');
    return ((await response.json()) as { fields: Record<string, unknown> }).fields;
  });
  expect(fields.recentlyViewed).toBeUndefined();
  expect(fields.userId).toBe('u_tilde');
});
