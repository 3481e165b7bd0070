/**
 * Next answers a bare 500 when a dynamic segment of the path is not percent-encoded UTF-8
 * (`/api/session/%`, `/api/session/%ED%A0%80`): it fails to decode the param while matching
 * routes, before any handler runs (vercel/next.js#92557). The middleware hands such API requests
 * to {@link undecodablePathResponse} first, so they get the API's 400 instead. Edge-safe: it
 * imports nothing.
 *
 * @packageDocumentation
 */

/** A 400 in the API's error shape if a segment of `pathname` does not decode, else `undefined`. */
export function undecodablePathResponse(pathname: string): Response | undefined {
  for (const segment of pathname.split('/')) {
    try {
      decodeURIComponent(segment);
    } catch {
      return Response.json(
        {
          error:
            'The path is not valid percent-encoded UTF-8. Encode the key with encodeURIComponent.',
        },
        { status: 400 },
      );
    }
  }
  return undefined;
}
