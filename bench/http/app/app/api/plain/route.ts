/** Never prerendered: measured per request like the other routes. */
export const dynamic = 'force-dynamic';

/** The baseline: a small JSON response that reads no cookie and no store. */
export function GET(): Response {
  return Response.json({ fields: { userId: 'u_bench', username: 'bench' } });
}
