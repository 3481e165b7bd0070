import type { Session } from 'ruts/next';
import type { AppFlash, AppSession } from './session';

/** How many products the "Recently viewed" list keeps. */
const KEEP = 5;

/** Seconds the list lives after the last view: env `RECENTLY_VIEWED_TTL`, default 120. */
export function recentlyViewedTtl(): number {
  const raw = process.env.RECENTLY_VIEWED_TTL;
  if (raw === undefined || raw === '') return 120;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`RECENTLY_VIEWED_TTL must be a positive number of seconds (got "${raw}").`);
  }
  return seconds;
}

/**
 * Puts a product first in the session's recently viewed list. The field has a TTL of its own:
 * the list disappears a while after the last view while the session lives on.
 */
export async function recordView(
  session: Session<AppSession, AppFlash>,
  productId: string,
): Promise<void> {
  const previous = (await session.get('recentlyViewed')) ?? [];
  const next = [productId, ...previous.filter((id) => id !== productId)].slice(0, KEEP);
  await session.set('recentlyViewed', next, { ttl: recentlyViewedTtl() });
}
