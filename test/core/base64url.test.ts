import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { base64url, fromBase64url } from '../../src/core/base64url.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

// Node's Buffer, and btoa as on the edge, where there is no Buffer (decoding is the same code on both).
for (const runtime of ['Node', 'edge'] as const) {
  describe(`base64url (${runtime})`, () => {
    const setUp = () => {
      if (runtime === 'edge') vi.stubGlobal('Buffer', undefined);
    };

    it.each([
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ])('encodes the RFC 4648 vector %j as %j, and decodes it back', (text, expected) => {
      setUp();
      expect(base64url(new TextEncoder().encode(text))).toBe(expected);
      expect(new TextDecoder().decode(fromBase64url(expected))).toBe(text);
    });

    it('uses - and _ where standard base64 uses + and /', () => {
      setUp();
      expect(base64url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
      expect([...fromBase64url('-_-_')]).toEqual([0xfb, 0xff, 0xbf]);
    });

    it('agrees with Node for every length up to 100 bytes, and for a view into a larger buffer', () => {
      setUp();
      for (let length = 0; length <= 100; length++) {
        const bytes = randomBytes(length);
        const expected = bytes.toString('base64url');
        expect(base64url(new Uint8Array(bytes))).toBe(expected);
        expect([...fromBase64url(expected)]).toEqual([...bytes]);
      }
      const large = randomBytes(7000);
      expect(base64url(new Uint8Array(large))).toBe(large.toString('base64url'));
      expect([...fromBase64url(large.toString('base64url'))]).toEqual([...large]);
      const whole = new Uint8Array(randomBytes(64));
      const view = whole.subarray(10, 42);
      expect(base64url(view)).toBe(Buffer.from(view).toString('base64url'));
    });
  });
}
