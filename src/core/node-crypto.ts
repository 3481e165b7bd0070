/**
 * Node's own crypto, found at run time, for the hot paths where Web Crypto's per-call cost (an
 * async job on the thread pool, tens of microseconds each) dwarfs the work. Nothing here imports
 * a Node built-in, so edge bundles stay free of one; elsewhere the callers use Web Crypto.
 *
 * @packageDocumentation
 */

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

interface Host {
  EdgeRuntime?: unknown;
  process?: { getBuiltinModule?: (id: string) => unknown };
}

let found: NodeCrypto | null | undefined;

/**
 * `node:crypto` on Node 20.16 and later (through `process.getBuiltinModule`), else `undefined`.
 * Next.js's edge sandbox is skipped outright: it warns on any `process` member it lacks.
 */
export function nodeCrypto(): NodeCrypto | undefined {
  if (found === undefined) {
    const host = globalThis as Host;
    let module: unknown;
    try {
      module = host.EdgeRuntime === undefined && host.process?.getBuiltinModule?.('node:crypto');
    } catch {
      // The function is there but refuses the module: Web Crypto it is.
    }
    found = typeof module === 'object' && module !== null ? (module as NodeCrypto) : null;
  }
  return found ?? undefined;
}
