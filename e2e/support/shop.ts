/**
 * What a shopper does in the example app, in the app's own words: the labels and buttons a
 * person would look for. Specs call these so that they read as the journey they test.
 */

import { expect, type Page } from '@playwright/test';

export interface Product {
  id: string;
  name: string;
}

/** Two products of the catalog (`example-app/lib/catalog.ts`). */
export const TRAIL_BOTTLE: Product = { id: 'trail-bottle', name: 'Trail Bottle' };
export const HEADLAMP: Product = { id: 'lumen-headlamp', name: 'Lumen Headlamp' };

/**
 * Signs in through the login form, from wherever `page` is (default: `/login`). It ticks
 * "Remember me" unless `remember` is false, so the cookie stays persistent as most specs check;
 * without it the app sets a cookie the browser drops when it closes.
 */
export async function signIn(
  page: Page,
  username: string,
  from = '/login',
  { remember = true }: { remember?: boolean } = {},
): Promise<void> {
  await page.goto(from);
  await page.getByLabel(/username/i).fill(username);
  await page.getByLabel(/remember me/i).setChecked(remember);
  await page.getByRole('button', { name: /sign in/i }).click();
  await expect(page).not.toHaveURL(/\/login(\?|$)/);
}

/** Signs out with the header's button and waits for the home page. */
export async function signOut(page: Page): Promise<void> {
  await page
    .getByRole('banner')
    .getByRole('button', { name: /sign out/i })
    .click();
  await expect(page).toHaveURL(/\/$/);
}

/** Views a product from the home page's grid ("View details"), which records it as viewed. */
export async function viewProduct(page: Page, product: Product): Promise<void> {
  await page.goto('/');
  await productCard(page, product)
    .getByRole('button', { name: /view details/i })
    .click();
  await expect(page).toHaveURL(new RegExp(`/products/${product.id}$`));
}

/** Adds a product to the cart from its own page. */
export async function addToCart(page: Page, product: Product): Promise<void> {
  await page.goto(`/products/${product.id}`);
  await page.getByRole('button', { name: /add to cart/i }).click();
  await expect(page.getByText(`Added ${product.name} to your cart.`)).toBeVisible();
}

/** The home grid's card of a product. */
export function productCard(page: Page, product: Product) {
  return page.getByRole('article').filter({ hasText: product.name });
}

/** Clicks a cart line's "+" button ("One more <name>"). */
export async function increaseQuantity(page: Page, product: Product): Promise<void> {
  await page.getByRole('button', { name: `One more ${product.name}`, exact: true }).click();
}

/** The quantity a cart line shows. */
export function quantityOf(page: Page, product: Product) {
  return page.getByLabel(`Quantity of ${product.name}`, { exact: true });
}

/** The cart page's "Recently viewed" panel: the heading's box. */
export function recentlyViewed(page: Page) {
  return page.getByRole('heading', { name: 'Recently viewed', exact: true }).locator('..');
}

/** The header's link to the cart, whose badge counts the items in it. */
export function headerCart(page: Page) {
  return page.getByRole('banner').getByRole('link', { name: /^Cart\b/ });
}
