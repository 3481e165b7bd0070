import { ApiError } from './api-errors';

/** The largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * How much of a body over the limit is read and dropped before answering 413. A server that
 * answers without reading the body resets the connection while the client is still sending, and
 * the client sees the reset, not the 413. Past this much the connection is cut all the same.
 */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

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

/** The body as text; a body over {@link MAX_BODY_BYTES} is drained (kept no further) and refused. */
async function readText(request: Request): Promise<string> {
  if (Number(request.headers.get('content-length')) > DRAIN_LIMIT_BYTES) {
    await request.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > DRAIN_LIMIT_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    if (size <= MAX_BODY_BYTES) chunks.push(value);
  }
  if (size > MAX_BODY_BYTES) throw tooLarge();
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(): ApiError {
  return new ApiError(413, `The body is larger than ${MAX_BODY_BYTES / 1024} KB.`);
}
