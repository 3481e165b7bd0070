import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { HmacSha256, sha256 } from '../../src/core/sha256.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('sha256', () => {
  it('gives the FIPS 180-4 example digests', () => {
    expect(hex(sha256(''))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(hex(sha256('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('agrees with node:crypto on every length around the block edges, bytes and UTF-8 text', () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = randomBytes(length);
      expect(hex(sha256(bytes)), `${length} bytes`).toBe(
        createHash('sha256').update(bytes).digest('hex'),
      );
      // ASCII, non-ASCII from the start, and non-ASCII only after a run of ASCII.
      for (const text of [
        'a'.repeat(length),
        'é€🍪a'.repeat(length).slice(0, length),
        `${'a'.repeat(length)}é`,
      ]) {
        expect(hex(sha256(text)), `${text.length} characters`).toBe(
          createHash('sha256').update(text, 'utf8').digest('hex'),
        );
      }
    }
  });

  it('hashes a message larger than its scratch space, and the next small one correctly after', () => {
    const large = randomBytes(100_000);
    expect(hex(sha256(large))).toBe(createHash('sha256').update(large).digest('hex'));
    expect(hex(sha256('abc'))).toBe(createHash('sha256').update('abc').digest('hex'));
  });
});

describe('HmacSha256', () => {
  it('gives the RFC 4231 test case 2 digest', () => {
    const hmac = new HmacSha256(new TextEncoder().encode('Jefe'));
    expect(hex(hmac.digest('what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('agrees with node:crypto for keys shorter than, equal to and longer than a block', () => {
    for (const keyLength of [0, 1, 31, 32, 63, 64, 65, 131]) {
      const key = randomBytes(keyLength);
      const hmac = new HmacSha256(key);
      for (let length = 0; length <= 200; length += 7) {
        const message = randomBytes(length).toString('base64url');
        expect(hex(hmac.digest(message)), `key ${keyLength}, message ${length}`).toBe(
          createHmac('sha256', key).update(message).digest('hex'),
        );
      }
    }
  });

  it('agrees with node:crypto on messages that outgrow its scratch space, as text and bytes', async () => {
    // A fresh copy of the module, whose scratch space no earlier test has grown.
    vi.resetModules();
    const fresh = await import('../../src/core/sha256.ts');
    const key = randomBytes(32);
    const hmac = new fresh.HmacSha256(key);
    for (const length of [100, 129, 200, 511, 600, 5000]) {
      for (const message of ['a'.repeat(length), randomBytes(length)]) {
        const expected = createHmac('sha256', key).update(message).digest();
        expect(hex(hmac.digest(message)), `${length}`).toBe(expected.toString('hex'));
        expect(hmac.verify(message, new Uint8Array(expected)), `${length}`).toBe(true);
      }
    }
  });

  it('gives the same digest for the same message every time: no state leaks between calls', () => {
    const hmac = new HmacSha256(randomBytes(32));
    const first = hex(hmac.digest('Fe26.2*1*salt*iv*body*123'));
    hmac.digest(randomBytes(500));
    expect(hex(hmac.digest('Fe26.2*1*salt*iv*body*123'))).toBe(first);
  });

  it('verifies exactly its own digest: a flipped bit anywhere, a short or a long mac fail', () => {
    const key = randomBytes(32);
    const hmac = new HmacSha256(key);
    for (const message of ['Fe26.2*1*salt*iv*body*123', 'naïve ✓', randomBytes(200)]) {
      const mac = new Uint8Array(createHmac('sha256', key).update(message).digest());
      expect(hmac.verify(message, mac)).toBe(true);
      for (let bit = 0; bit < 256; bit++) {
        const flipped = mac.slice();
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(hmac.verify(message, flipped)).toBe(false);
      }
      expect(hmac.verify(message, mac.subarray(0, 31))).toBe(false);
      expect(hmac.verify(message, new Uint8Array([...mac, 0]))).toBe(false);
    }
  });
});
