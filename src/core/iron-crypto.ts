/**
 * iron's seal (`Fe26.2`, AES-256-CBC then HMAC-SHA-256, each key PBKDF2-derived from the secret
 * and a salt carried in the seal), made and opened here rather than by `iron-webcrypto`, which
 * derives both keys again on every call. ruts seals with two salts fixed per secret, so their
 * keys are derived once per process; a seal with other salts (made by iron itself) costs the
 * derivation, as it did under iron. Seals stay iron's: iron opens ours, we open iron's.
 *
 * The HMAC is `sha256.ts`'s, with each key's padded blocks mixed once: synchronous everywhere.
 * The cipher is `node:crypto`'s when the runtime offers it (see {@link nodeCrypto}), else Web
 * Crypto's.
 *
 * @packageDocumentation
 */

import { base64url, fromBase64url } from './base64url.ts';
import { CbcDecrypter } from './cbc-decrypter.ts';
import { nodeCrypto } from './node-crypto.ts';
import { HmacSha256 } from './sha256.ts';

/** iron's prefix for format version 2, the only one there is. */
export const IRON_PREFIX = 'Fe26.2';
const KEY_BYTES = 32;
const IV_BYTES = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A derived encryption key: its bytes on Node, a Web Crypto key elsewhere. */
type CipherKey = Uint8Array | CryptoKey;

/** The keys of the salts a secret seals with, derived once. */
export interface FixedKeys {
  readonly encryptionSalt: string;
  readonly integritySalt: string;
  readonly encryption: CipherKey;
  readonly integrity: HmacSha256;
  /** Decrypts under `encryption` on Node; `undefined` elsewhere. */
  readonly decrypter: CbcDecrypter | undefined;
}

/** iron's derivation: PBKDF2-SHA-1, one iteration, of the secret and the salt's hex text. */
async function pbkdf2(secret: string, salt: string): Promise<Uint8Array<ArrayBuffer>> {
  const node = nodeCrypto();
  if (node !== undefined) return node.pbkdf2Sync(secret, salt, 1, KEY_BYTES, 'sha1');
  const base = await crypto.subtle.importKey('raw', encoder.encode(secret), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const params = { name: 'PBKDF2', salt: encoder.encode(salt), iterations: 1, hash: 'SHA-1' };
  return new Uint8Array(await crypto.subtle.deriveBits(params, base, KEY_BYTES * 8));
}

async function cipherKey(secret: string, salt: string): Promise<CipherKey> {
  const bytes = await pbkdf2(secret, salt);
  if (nodeCrypto() !== undefined) return bytes;
  return crypto.subtle.importKey('raw', bytes, 'AES-CBC', false, ['encrypt', 'decrypt']);
}

async function integrityKey(secret: string, salt: string): Promise<HmacSha256> {
  return new HmacSha256(await pbkdf2(secret, salt));
}

/**
 * The salts `secret` seals with, as iron writes salts (64 hex digits), and their keys. Each salt
 * is PBKDF2 of the secret under a label no salt can equal: the same in every process, so any
 * instance opens any other's seals at full speed, and unguessable without the secret.
 */
export async function fixedKeys(secret: string): Promise<FixedKeys> {
  const salt = async (label: string) => {
    const bytes = await pbkdf2(secret, `ruts iron salt: ${label}`);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  };
  const [encryptionSalt, integritySalt] = await Promise.all([
    salt('encryption'),
    salt('integrity'),
  ]);
  const [encryption, integrity] = await Promise.all([
    cipherKey(secret, encryptionSalt),
    integrityKey(secret, integritySalt),
  ]);
  const node = nodeCrypto();
  const decrypter =
    node === undefined ? undefined : new CbcDecrypter(node, encryption as Uint8Array);
  return { encryptionSalt, integritySalt, encryption, integrity, decrypter };
}

/** A seal cut into its parts, and what its HMAC covers. */
export interface IronSeal {
  readonly secretId: string;
  readonly encryptionSalt: string;
  readonly iv: string;
  readonly body: string;
  readonly expiration: string;
  readonly integritySalt: string;
  readonly mac: string;
  /** Everything before the integrity salt. */
  readonly signed: string;
}

/** Cuts `sealed` into its parts if it is iron's format 2, without checking how any is spelled. */
export function cutSeal(sealed: string): IronSeal | undefined {
  const parts = sealed.split('*');
  if (parts.length !== 8 || parts[0] !== IRON_PREFIX) return undefined;
  // Fe26.2*secretId*encryptionSalt*iv*ciphertext*expiration*integritySalt*hmac
  const [, secretId, encryptionSalt, iv, body, expiration, integritySalt, mac] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const signed = sealed.slice(0, sealed.length - integritySalt.length - mac.length - 2);
  return { secretId, encryptionSalt, iv, body, expiration, integritySalt, mac, signed };
}

/**
 * The JSON value sealed in `seal`, or `undefined` if its HMAC does not verify under `secret`;
 * throws on a seal whose parts are malformed. Checks neither the secret id nor the expiry: the
 * caller's envelope check did. `fixed` are `secret`'s own salts and keys.
 *
 * Synchronous (no promise at all) when `node:crypto` is there and the seal uses the fixed salts,
 * as every seal ruts makes does: on the cookie path a promise is a cost of its own, more so
 * under Next.js, whose async context tracking hooks every promise.
 */
export function openIronSeal(
  parts: IronSeal,
  secret: string,
  fixed: FixedKeys,
): unknown | Promise<unknown> {
  const { decrypter } = fixed;
  if (
    decrypter !== undefined &&
    parts.integritySalt === fixed.integritySalt &&
    parts.encryptionSalt === fixed.encryptionSalt
  ) {
    if (!verifies(fixed.integrity, parts)) return undefined;
    return JSON.parse(decryptWith(decrypter, parts));
  }
  return openDeriving(parts, secret, fixed);
}

/** Whether the seal's HMAC is right: checked before anything else, in constant time. */
function verifies(integrity: HmacSha256, parts: IronSeal): boolean {
  return integrity.verify(parts.signed, fromBase64url(parts.mac));
}

function decryptWith(decrypter: CbcDecrypter, parts: IronSeal): string {
  return decoder.decode(decrypter.decrypt(fromBase64url(parts.iv), fromBase64url(parts.body)));
}

/** The general case: keys derived for salts other than the fixed ones, or Web Crypto. */
async function openDeriving(parts: IronSeal, secret: string, fixed: FixedKeys): Promise<unknown> {
  const integrity =
    parts.integritySalt === fixed.integritySalt
      ? fixed.integrity
      : await integrityKey(secret, parts.integritySalt);
  // Nothing unauthenticated reaches the cipher, nor costs a derivation of its key.
  if (!verifies(integrity, parts)) return undefined;
  const encryption =
    parts.encryptionSalt === fixed.encryptionSalt
      ? fixed.encryption
      : await cipherKey(secret, parts.encryptionSalt);
  const node = nodeCrypto();
  if (node !== undefined) {
    const decrypter = encryption === fixed.encryption ? fixed.decrypter : undefined;
    return JSON.parse(
      decryptWith(decrypter ?? new CbcDecrypter(node, encryption as Uint8Array), parts),
    );
  }
  const params = { name: 'AES-CBC', iv: fromBase64url(parts.iv) };
  const data = fromBase64url(parts.body);
  const text = decoder.decode(await crypto.subtle.decrypt(params, encryption as CryptoKey, data));
  return JSON.parse(text);
}

/** Seals the JSON of `value` under secret `secretId` with its fixed keys, expiring at `expiresAt`. */
export async function makeIronSeal(
  value: unknown,
  secretId: string,
  fixed: FixedKeys,
  expiresAt: number,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const text = JSON.stringify(value);
  const node = nodeCrypto();
  let encrypted: Uint8Array;
  if (node !== undefined) {
    const cipher = node.createCipheriv('aes-256-cbc', fixed.encryption as Uint8Array, iv);
    const head = cipher.update(text, 'utf8');
    const tail = cipher.final();
    encrypted = new Uint8Array(head.length + tail.length);
    encrypted.set(head);
    encrypted.set(tail, head.length);
  } else {
    const params = { name: 'AES-CBC', iv };
    const key = fixed.encryption as CryptoKey;
    encrypted = new Uint8Array(await crypto.subtle.encrypt(params, key, encoder.encode(text)));
  }
  const signed = [
    IRON_PREFIX,
    secretId,
    fixed.encryptionSalt,
    base64url(iv),
    base64url(encrypted),
    expiresAt,
  ].join('*');
  const mac = base64url(fixed.integrity.digest(signed));
  return `${signed}*${fixed.integritySalt}*${mac}`;
}
