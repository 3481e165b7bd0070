import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CbcDecrypter } from '../../src/core/cbc-decrypter.ts';
import type { NodeCrypto } from '../../src/core/node-crypto.ts';

const node = process.getBuiltinModule('node:crypto') as unknown as NodeCrypto;

function encrypt(key: Buffer, iv: Buffer, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([cipher.update(plain), cipher.final()]);
}

describe('CbcDecrypter', () => {
  it('decrypts what aes-256-cbc encrypted, for every length around the block edges', () => {
    const key = randomBytes(32);
    const decrypter = new CbcDecrypter(node, key);
    for (let length = 0; length <= 100; length++) {
      const iv = randomBytes(16);
      const plain = randomBytes(length);
      const out = decrypter.decrypt(iv, encrypt(key, iv, plain));
      expect(Buffer.from(out).equals(plain), `${length} bytes`).toBe(true);
    }
  });

  it('refuses a ciphertext that is not whole blocks, or a bad IV, and decrypts the next one right', () => {
    const key = randomBytes(32);
    const decrypter = new CbcDecrypter(node, key);
    const iv = randomBytes(16);
    const plain = Buffer.from('{"id":"the session"}');
    const sealed = encrypt(key, iv, plain);
    expect(() => decrypter.decrypt(iv, sealed.subarray(0, sealed.length - 1))).toThrow(
      /not an AES-CBC ciphertext/,
    );
    expect(() => decrypter.decrypt(iv, new Uint8Array(0))).toThrow(/not an AES-CBC/);
    expect(() => decrypter.decrypt(iv.subarray(0, 8), sealed)).toThrow(/not an AES-CBC/);
    expect(Buffer.from(decrypter.decrypt(iv, sealed)).equals(plain)).toBe(true);
  });

  it('refuses bad padding (a wrong key or IV), and decrypts the next one right', () => {
    const key = randomBytes(32);
    const decrypter = new CbcDecrypter(node, key);
    const plain = Buffer.from('sixteen bytes!!!'); // a whole block of padding follows
    const iv = randomBytes(16);
    const sealed = encrypt(key, iv, plain);
    const other = new CbcDecrypter(node, randomBytes(32));
    let refused = 0;
    for (let i = 0; i < 20; i++) {
      try {
        other.decrypt(randomBytes(16), sealed);
      } catch (error) {
        expect((error as Error).message).toMatch(/bad AES-CBC padding/);
        refused++;
      }
    }
    // A wrong key leaves valid-looking padding now and then (about 1 in 256).
    expect(refused).toBeGreaterThanOrEqual(18);
    expect(Buffer.from(decrypter.decrypt(iv, sealed)).equals(plain)).toBe(true);
  });

  it('keeps no state between calls: interleaved ciphertexts under one key each decrypt alone', () => {
    const key = randomBytes(32);
    const decrypter = new CbcDecrypter(node, key);
    const sealed = Array.from({ length: 10 }, (_, i) => {
      const iv = randomBytes(16);
      const plain = randomBytes(7 * i + 3);
      return { iv, plain, data: encrypt(key, iv, plain) };
    });
    for (const { iv, plain, data } of [...sealed, ...sealed.reverse()]) {
      expect(Buffer.from(decrypter.decrypt(iv, data)).equals(plain)).toBe(true);
    }
  });
});
