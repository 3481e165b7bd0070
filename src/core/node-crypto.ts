/**
 * Node's own crypto, found at run time, for the hot paths where Web Crypto's per-call cost (an
 * async job on the thread pool, tens of microseconds each) dwarfs the work. Nothing here imports
 * a Node built-in, so edge bundles stay free of one; elsewhere the callers use Web Crypto.
 *
 * @packageDocumentation
 */

import { nodeBuiltin } from './node-builtin.ts';

/** The parts of `node:crypto` ruts calls, typed here so the edge build needs no Node types. */
export interface NodeCrypto {
  pbkdf2Sync(
    password: string,
    salt: string,
    iterations: number,
    length: number,
    digest: string,
  ): Uint8Array<ArrayBuffer>;
  createCipheriv(
    algorithm: string,
    key: Uint8Array,
    iv: Uint8Array,
  ): { update(data: string, encoding: 'utf8'): Uint8Array; final(): Uint8Array };
  createDecipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array | null): NodeDecipher;
}

/** A `node:crypto` decipher, as ruts uses one. */
export interface NodeDecipher {
  setAutoPadding(padding: boolean): NodeDecipher;
  update(data: Uint8Array): Uint8Array;
}

let found: NodeCrypto | null | undefined;

/** `node:crypto` on Node 20.16 and later, else `undefined` (see `node-builtin.ts`). */
export function nodeCrypto(): NodeCrypto | undefined {
  found ??= (nodeBuiltin('node:crypto') as NodeCrypto | undefined) ?? null;
  return found ?? undefined;
}
