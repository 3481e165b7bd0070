import { expect, test } from './support/fixtures.ts';

// Only the Redis over Postgres app carries this route (see STORES in support/consumer-app.ts).
test('the Prisma and @vercel/postgres executors build with no next.config.ts setting', async ({
  request,
}) => {
  const response = await request.get('/api/executors');
  expect(await response.json()).toEqual({
    executors: ['function', 'function'],
    vercel: 'function',
  });
});
