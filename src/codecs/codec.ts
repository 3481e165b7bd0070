/**
 * A codec turns a field's value into bytes for the store and back. ruts ships msgpack (the
 * default) and JSON; implement this interface to use anything else.
 *
 * Codecs may throw on values they cannot represent; the session handle wraps the throw in a
 * `CodecError` that names the key.
 */
export interface Codec {
  /** Short name used in error messages, such as `msgpack` or `json`. */
  readonly name: string;
  /** Turns a value into the bytes the store keeps. Throws on a value it cannot represent. */
  encode(value: unknown): Uint8Array;
  /** Turns bytes made by `encode` back into the value. Throws on bytes it cannot read. */
  decode(bytes: Uint8Array): unknown;
}
