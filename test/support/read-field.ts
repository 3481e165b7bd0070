import type { SessionStore } from '../../src/core/store-contract.ts';

/** One live field's value as a store reads it back, or `undefined`. */
export async function readField(
  store: Pick<SessionStore, 'getAll'>,
  key: string,
  field: string,
): Promise<Uint8Array | undefined> {
  return (await store.getAll(key))?.fields.get(field)?.value;
}
