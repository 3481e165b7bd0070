/**
 * How the JSON API answers what goes wrong: bad input is a 4xx with `{ "error": message }`,
 * never a 500. ruts errors are told apart by class.
 *
 * @packageDocumentation
 */

import {
  CodecError,
  InvalidKeyError,
  InvalidTtlError,
  SessionTooLargeError,
  StoreError,
  ValueTooLargeError,
} from 'ruts/next';

/** A request the API refuses, with the status and message it answers with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The JSON error response of a status and message. */
export function errorResponse(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
}

/** Strips the library's `ruts: ` prefix, which means nothing to an API client. */
function detail(error: Error): string {
  return error.message.replace(/^ruts: /, '');
}

/**
 * The response for an error thrown while handling an API request. Errors that are not about
 * the request (a bug, say) are thrown again, so Next logs them and answers 500.
 */
export function apiErrorResponse(error: unknown): Response {
  if (error instanceof ApiError) return errorResponse(error.status, error.message);
  if (error instanceof InvalidKeyError) return errorResponse(400, detail(error));
  if (error instanceof InvalidTtlError) return errorResponse(400, detail(error));
  if (error instanceof CodecError) return errorResponse(400, detail(error));
  if (error instanceof ValueTooLargeError) return errorResponse(413, detail(error));
  if (error instanceof SessionTooLargeError) return errorResponse(413, detail(error));
  if (error instanceof StoreError) {
    console.error(error);
    return errorResponse(503, 'The session store is unavailable. Try again shortly.');
  }
  throw error;
}
