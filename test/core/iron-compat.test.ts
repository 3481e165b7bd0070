/**
 * ruts makes and opens iron seals itself (see src/core/iron-crypto.ts). These prove the seals
 * are still iron's, both ways, on Node's crypto and on Web Crypto alone (as on the edge).
 */

import { defaults, seal as ironSeal, unseal as ironUnseal } from 'iron-webcrypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CbcDecrypter } from '../../src/core/cbc-decrypter.ts';
import { CookieSealer, CookieVerifier } from '../../src/core/cookie-seal.ts';
import { cutSeal, fixedKeys, type IronSeal, openIronSeal } from '../../src/core/iron-crypto.ts';
import { generateSessionId, hashSessionId } from '../../src/core/session-id.ts';
import { HmacSha256 } from '../../src/core/sha256.ts';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const NEW_SECRET = 'newer-secret-0123456789-abcdefghijklmno';
const TTL_SECONDS = 3600;
const IRON_OPTIONS = { ...defaults, ttl: TTL_SECONDS * 1000, timestampSkewSec: 0 };

type SealerClass = typeof CookieSealer;

/** CookieSealer as the edge runtime loads it: Next.js's sandbox marks itself with EdgeRuntime. */
async function webCryptoSealer(): Promise<SealerClass> {
  vi.stubGlobal('EdgeRuntime', 'edge-runtime');
  vi.resetModules();
  const module = await import('../../src/core/cookie-seal.ts');
  return module.CookieSealer;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe.each([
  ['node:crypto', async () => CookieSealer],
  ['Web Crypto alone', webCryptoSealer],
])('iron compatibility, on %s', (_name, load) => {
  it("has iron's own unseal open ruts' seals, with and without lifetimes", async () => {
    const Sealer = await load();
    const s = new Sealer({ secret: SECRET, ttlSeconds: TTL_SECONDS });
    const id = generateSessionId();
    expect(await ironUnseal(await s.seal(id), { 1: SECRET }, IRON_OPTIONS)).toBe(id);
    const withLifetimes = await s.seal(id, { maxAge: 60, idleMs: 5000 });
    expect(await ironUnseal(withLifetimes, { 1: SECRET }, IRON_OPTIONS)).toBe(`${id}~60~5000`);
  });

  it("opens seals iron made, with iron's random salts", async () => {
    const Sealer = await load();
    const s = new Sealer({ secret: { 1: SECRET, 2: NEW_SECRET }, ttlSeconds: TTL_SECONDS });
    for (const password of [
      { id: '1', secret: SECRET },
      { id: '2', secret: NEW_SECRET },
    ]) {
      const id = generateSessionId();
      const sealed = await ironSeal(id, password, IRON_OPTIONS);
      expect(await s.unseal(sealed)).toEqual({ id, key: await hashSessionId(id) });
      const tampered = sealed.replace(/\*[^*]+$/, (mac) => mac.replace(/^\*./, '*A'));
      expect(tampered).not.toBe(sealed);
      expect(await s.unseal(tampered)).toBeUndefined();
    }
  });

  it('seals with the newest secret; iron opens it by that id, and rotation keeps old seals', async () => {
    const Sealer = await load();
    const old = await new Sealer({ secret: SECRET, ttlSeconds: TTL_SECONDS }).seal(
      generateSessionId(),
    );
    const rotated = new Sealer({ secret: { 1: SECRET, 2: NEW_SECRET }, ttlSeconds: TTL_SECONDS });
    const id = generateSessionId();
    const sealed = await rotated.seal(id);
    expect(sealed.split('*')[1]).toBe('2');
    expect(await ironUnseal(sealed, { 2: NEW_SECRET }, IRON_OPTIONS)).toBe(id);
    await expect(ironUnseal(sealed, { 2: SECRET }, IRON_OPTIONS)).rejects.toThrow();
    expect(await rotated.unseal(old)).toBeDefined();
    const retired = new Sealer({ secret: { 2: NEW_SECRET }, ttlSeconds: 60 });
    expect(await retired.unseal(old)).toBeUndefined();
  });

  it('seals with two salts fixed per secret, the same in every process, unique to the secret', async () => {
    const Sealer = await load();
    const salts = async (secret: string) => {
      const parts = (await new Sealer({ secret, ttlSeconds: 60 }).seal(generateSessionId())).split(
        '*',
      );
      return [parts[2], parts[6]];
    };
    const [encryption, integrity] = await salts(SECRET);
    expect(encryption).toMatch(/^[0-9a-f]{64}$/);
    expect(integrity).toMatch(/^[0-9a-f]{64}$/);
    expect(encryption).not.toBe(integrity);
    expect(await salts(SECRET)).toEqual([encryption, integrity]);
    expect(await salts(NEW_SECRET)).not.toContain(encryption);
  });
});

describe('the fixed salts', () => {
  it('are PBKDF2-SHA-1 of the secret under two labels, so every process and version agrees', async () => {
    const { pbkdf2Sync } = process.getBuiltinModule('node:crypto');
    const expected = (label: string) =>
      pbkdf2Sync(SECRET, `ruts iron salt: ${label}`, 1, 32, 'sha1').toString('hex');
    const parts = (
      await new CookieSealer({ secret: SECRET, ttlSeconds: 60 }).seal(generateSessionId())
    ).split('*');
    expect(parts[2]).toBe(expected('encryption'));
    expect(parts[6]).toBe(expected('integrity'));
  });
});

describe('seals across the two crypto paths', () => {
  it('opens on Web Crypto what node:crypto sealed, and the other way round', async () => {
    const onNode = new CookieSealer({ secret: SECRET, ttlSeconds: TTL_SECONDS, cacheSize: 0 });
    const nodeSeal = await onNode.seal(generateSessionId());
    const WebSealer = await webCryptoSealer();
    const onWeb = new WebSealer({ secret: SECRET, ttlSeconds: TTL_SECONDS, cacheSize: 0 });
    const webSeal = await onWeb.seal(generateSessionId());
    expect(webSeal.split('*')[2]).toBe(nodeSeal.split('*')[2]);
    expect(webSeal.split('*')[6]).toBe(nodeSeal.split('*')[6]);
    expect(await onWeb.unseal(nodeSeal)).toBeDefined();
    expect(await onNode.unseal(webSeal)).toBeDefined();
  });

  it('touches no node:crypto when the runtime is an edge runtime', async () => {
    const node = process.getBuiltinModule('node:crypto');
    const methods = ['pbkdf2Sync', 'createHash', 'createHmac', 'createDecipheriv'] as const;
    const spies = methods.map((method) => vi.spyOn(node, method));
    const WebSealer = await webCryptoSealer();
    const s = new WebSealer({ secret: SECRET, ttlSeconds: TTL_SECONDS, cacheSize: 0 });
    expect(await s.unseal(await s.seal(generateSessionId()))).toBeDefined();
    const fromIron = await ironSeal(generateSessionId(), { id: '1', secret: SECRET }, IRON_OPTIONS);
    expect(await s.unseal(fromIron)).toBeDefined();
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('opens an uncached seal on Node with one HMAC and the kept decipher: no Web Crypto, no derivation, no native object, no promise', async () => {
    const s = new CookieVerifier({ secret: SECRET, ttlSeconds: TTL_SECONDS, cacheSize: 0 });
    const sealed = await new CookieSealer({ secret: SECRET, ttlSeconds: 60, cacheSize: 0 }).seal(
      generateSessionId(),
    );
    expect(await s.unseal(sealed)).toBeDefined(); // derives the keys and builds the decipher
    const keys = await fixedKeys(SECRET);
    const parts = cutSeal(sealed) as IronSeal;
    expect(openIronSeal(parts, SECRET, keys)).toBeDefined();
    const node = process.getBuiltinModule('node:crypto');
    const hmac = vi.spyOn(HmacSha256.prototype, 'verify');
    const decrypt = vi.spyOn(CbcDecrypter.prototype, 'decrypt');
    const natives = (['createDecipheriv', 'createHmac', 'createHash', 'pbkdf2Sync'] as const).map(
      (method) => vi.spyOn(node, method),
    );
    const subtle = (['verify', 'sign', 'decrypt', 'digest'] as const).map((method) =>
      vi.spyOn(crypto.subtle, method),
    );
    expect(openIronSeal(parts, SECRET, keys)).not.toBeInstanceOf(Promise);
    expect(await s.unseal(sealed)).toBeDefined();
    expect(await s.unseal(sealed)).toBeDefined();
    expect(hmac).toHaveBeenCalledTimes(3);
    expect(decrypt).toHaveBeenCalledTimes(3);
    for (const spy of [...natives, ...subtle]) expect(spy).not.toHaveBeenCalled();
  });

  it('checks the HMAC before it decrypts anything', async () => {
    const s = new CookieVerifier({ secret: SECRET, ttlSeconds: TTL_SECONDS, cacheSize: 0 });
    const sealed = await new CookieSealer({ secret: SECRET, ttlSeconds: 60, cacheSize: 0 }).seal(
      generateSessionId(),
    );
    const parts = sealed.split('*');
    const body = parts[4] as string;
    parts[4] = `${body.charAt(0) === 'A' ? 'B' : 'A'}${body.slice(1)}`;
    const decrypt = vi.spyOn(CbcDecrypter.prototype, 'decrypt');
    expect(await s.unseal(parts.join('*'))).toBeUndefined();
    expect(decrypt).not.toHaveBeenCalled();
    expect(await s.unseal(sealed)).toBeDefined();
    expect(decrypt).toHaveBeenCalledTimes(1);
  });
});
