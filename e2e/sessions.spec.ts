import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';
import { signIn } from './support/shop.ts';

/** The browsers' User-Agents, so their rows name different devices whatever runs the test. */
const CHROME_ON_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

test.use({ userAgent: CHROME_ON_LINUX });

/** The rows of the "Your sessions" table, header row excluded. */
function sessionRows(page: Page) {
  return page
    .getByRole('main')
    .getByRole('row')
    .filter({ has: page.getByRole('cell') });
}

/** Expects `page` to have been sent to the sign-in page: its session is gone. */
async function expectSignedOut(page: Page): Promise<void> {
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard$/);
}

test('a user signs another browser out, then every other browser at once', async ({
  page,
  browser,
  baseURL,
}) => {
  // The Redis over Postgres project's store outlives the run: a user of its own keeps the
  // list to this test's two browsers.
  const username = `devices-${Date.now().toString(36)}`;
  const a = page;
  const other = await browser.newContext({ baseURL, userAgent: FIREFOX_ON_WINDOWS });
  try {
    const b = await other.newPage();
    await signIn(a, username);
    await signIn(b, username);

    await test.step('A lists both sessions and marks its own', async () => {
      await a.goto('/dashboard');
      await a.getByRole('link', { name: 'Your sessions' }).click();
      await expect(a).toHaveURL(/\/dashboard\/sessions$/);
      await expect(sessionRows(a)).toHaveCount(2);
      const current = a.locator('tr[aria-current="true"]');
      await expect(current).toHaveCount(1);
      await expect(current).toContainText('Chrome on Linux');
      await expect(current).toContainText('This browser');
      await expect(current.getByRole('button')).toHaveCount(0);
      const otherRow = sessionRows(a).filter({ hasText: 'Firefox on Windows' });
      await expect(otherRow).not.toHaveAttribute('aria-current');
      await expect(
        otherRow.getByRole('button', { name: 'Sign out Firefox on Windows' }),
      ).toBeVisible();
    });

    await test.step("A signs B's session out, and B's next request is signed out", async () => {
      await sessionRows(a)
        .filter({ hasText: 'Firefox on Windows' })
        .getByRole('button', { name: /^Sign out/ })
        .click();
      await expect(a.getByRole('status')).toHaveText('That session is signed out.');
      await expect(sessionRows(a)).toHaveCount(1);
      await expectSignedOut(b);
    });

    await test.step('B signs in again; A signs out every other session', async () => {
      await signIn(b, username);
      await a.reload();
      await expect(sessionRows(a)).toHaveCount(2);
      await a.getByRole('button', { name: 'Sign out all other sessions' }).click();
      await expect(a.getByRole('status')).toHaveText('Signed out 1 other session.');
      await expect(sessionRows(a)).toHaveCount(1);
      await expect(sessionRows(a).first()).toHaveAttribute('aria-current', 'true');
      await expect(a.getByRole('button', { name: 'Sign out all other sessions' })).toHaveCount(0);
      await expectSignedOut(b);
    });

    await test.step('A is still signed in', async () => {
      await a.goto('/dashboard');
      await expect(a.getByRole('heading', { level: 1 })).toHaveText(`Hello, ${username}`);
    });
  } finally {
    await other.close();
  }
});
