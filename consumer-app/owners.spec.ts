import { cookieName } from './support/consumer-app.ts';
import { expect, test } from './support/fixtures.ts';

interface OwnersReport {
  owner: string;
  otherCookie: string;
  listed: { current: boolean; userId: string }[];
  revoked: boolean;
  revokedAgain: boolean;
  revokedReads: string | null;
  ended: number;
  left: boolean[];
  signedIn: boolean;
  sameHandle: boolean;
}

test('one owner signed in twice: both listed, one revoked by handle, the rest all at once', async ({
  page,
  variant,
}) => {
  const answer = await page.request.post('/api/owners');
  expect(answer.status()).toBe(200);
  const report = (await answer.json()) as OwnersReport;
  expect(report.otherCookie).not.toBe('');
  expect(report.listed).toHaveLength(2);
  expect(report.listed.filter((session) => session.current)).toHaveLength(1);
  expect(report.listed.map((session) => session.userId)).toEqual([report.owner, report.owner]);
  expect(report).toMatchObject({
    revoked: true,
    revokedAgain: false,
    revokedReads: null,
    ended: 2,
    left: [true],
    signedIn: true,
    sameHandle: true,
  });

  // The revoked cookie, replayed, opens nothing; the response's cookie is still signed in.
  const replay = await page.request.get('/api/cart', {
    headers: { cookie: `${cookieName(variant)}=${report.otherCookie}` },
  });
  expect(await replay.json()).toEqual({ userId: null, cart: [] });
  const kept = await page.request.get('/api/cart');
  expect(await kept.json()).toEqual({ userId: report.owner, cart: [] });
});
