/**
 * AES-256-CBC decryption on Node through one ECB decipher kept per key. CBC decrypts each block
 * on its own and XORs it with the ciphertext block before it (the IV for the first), so the
 * kept decipher does the AES, with the CPU's AES instructions, and only the XOR and the padding
 * are left to do here. Building a decipher per seal cost more than decrypting one.
 *
 * @packageDocumentation
 */

import type { NodeCrypto, NodeDecipher } from './node-crypto.ts';

const BLOCK_BYTES = 16;

export class CbcDecrypter {
  #ecb: NodeDecipher | undefined;

  constructor(
    private readonly node: NodeCrypto,
    private readonly key: Uint8Array,
  ) {}

  /**
   * The plaintext of `data` under `iv`, its PKCS #7 padding removed. Throws on a ciphertext or
   * padding no encryption makes; callers verify the seal's HMAC first, so no such error can
   * tell an attacker anything.
   */
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    if (iv.length !== BLOCK_BYTES || data.length === 0 || data.length % BLOCK_BYTES !== 0) {
      throw new Error('not an AES-CBC ciphertext');
    }
    this.#ecb ??= this.#newEcb();
    const plain = this.#ecb.update(data);
    if (plain.length !== data.length) {
      // Whole blocks in, whole blocks out; anything else would leave bytes for the next call.
      this.#ecb = undefined;
      throw new Error('the AES decipher kept part of a block');
    }
    for (let i = 0; i < plain.length; i++) {
      const previous = i < BLOCK_BYTES ? iv[i] : data[i - BLOCK_BYTES];
      plain[i] = (plain[i] as number) ^ (previous as number);
    }
    const padding = plain[plain.length - 1] as number;
    if (padding < 1 || padding > BLOCK_BYTES) throw new Error('bad AES-CBC padding');
    for (let i = plain.length - padding; i < plain.length; i++) {
      if (plain[i] !== padding) throw new Error('bad AES-CBC padding');
    }
    return plain.subarray(0, plain.length - padding);
  }

  #newEcb(): NodeDecipher {
    const ecb = this.node.createDecipheriv('aes-256-ecb', this.key, null);
    ecb.setAutoPadding(false);
    return ecb;
  }
}
