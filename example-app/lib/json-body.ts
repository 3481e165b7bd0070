import { ApiError } from './api-errors';

/** The largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The request's JSON body as an object. Throws {@link ApiError}: 415 for another content
 * type, 413 for a body over {@link MAX_BODY_BYTES} (measured before parsing), 400 for
 * malformed JSON or JSON that is not an object.
 */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, 'Send the body as JSON, with Content-Type: application/json.');
  }
  const text = await readText(request);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'The body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'The body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** The body as text, read no further than {@link MAX_BODY_BYTES}. */
async function readText(request: Request): Promise<string> {
  if (Number(request.headers.get('content-length')) > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(): ApiError {
  return new ApiError(413, `The body is larger than ${MAX_BODY_BYTES / 1024} KB.`);
}
