/**
 * Copying stored values out to a caller, as a store's `getAll` does: the caller must get memory
 * of its own, not a view into a driver's reply buffer or a store's own state.
 *
 * @packageDocumentation
 */

/** A copy shares its memory with others only up to this size, so it can hold little else alive. */
export const SHARED_BLOCK_BYTES = 4096;

/**
 * Copies each value. Small values share one allocation per block: allocating a buffer costs
 * more than copying a session field into it, and one allocation per field was most of the cost
 * of a read. A block holds at most {@link SHARED_BLOCK_BYTES}, so a small value kept alive keeps
 * at most that much with it, and never a large value, which gets memory of its own.
 */
export function copyValues(values: readonly Uint8Array[]): Uint8Array[] {
  const copies: Uint8Array[] = [];
  let i = 0;
  while (i < values.length) {
    let size = 0;
    let end = i;
    for (; end < values.length; end++) {
      const length = (values[end] as Uint8Array).byteLength;
      if (size + length > SHARED_BLOCK_BYTES) break;
      size += length;
    }
    if (end === i) {
      copies.push(new Uint8Array(values[i] as Uint8Array));
      i++;
      continue;
    }
    const block = new ArrayBuffer(size);
    let offset = 0;
    for (; i < end; i++) {
      const value = values[i] as Uint8Array;
      const copy = new Uint8Array(block, offset, value.byteLength);
      copy.set(value);
      copies.push(copy);
      offset += value.byteLength;
    }
  }
  return copies;
}
