/**
 * iron's seal (`Fe26.2`, AES-256-CBC then HMAC-SHA-256, each key PBKDF2-derived from the secret
 * and a salt carried in the seal), made and opened here rather than by `iron-webcrypto`, which
 * derives both keys again on every call. ruts seals with two salts fixed per secret, so their
 * keys are derived once per process; a seal with other salts (made by iron itself) costs the
 * derivation, as it did under iron. Seals stay iron's: iron opens ours, we open iron's.
 *
 * Uses `node:crypto` when the runtime offers it (see {@link nodeCrypto}), Web Crypto elsewhere.
 *
 * @packageDocumentation
 */

import { nodeCrypto } from './node-crypto.ts';
import { base64url } from './session-id.ts';

/** iron's prefix for format version 2, the only one there is. */
export const IRON_PREFIX = 'Fe26.2';
const KEY_BYTES = 32;
const IV_BYTES = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A derived key: its bytes on Node, a Web Crypto key elsewhere. */
type IronKey = Uint8Array | CryptoKey;

/** The keys of the salts a secret seals with, derived once. */
export interface FixedKeys {
  readonly encryptionSalt: string;
  readonly integritySalt: string;
  readonly encryption: IronKey;
  readonly integrity: IronKey;
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

async function deriveKey(secret: string, salt: string, use: 'hmac' | 'aes'): Promise<IronKey> {
  const bytes = await pbkdf2(secret, salt);
  if (nodeCrypto() !== undefined) return bytes;
  const algorithm = use === 'hmac' ? { name: 'HMAC', hash: 'SHA-256' } : 'AES-CBC';
  const usages: KeyUsage[] = use === 'hmac' ? ['sign'] : ['encrypt', 'decrypt'];
  return crypto.subtle.importKey('raw', bytes, algorithm, false, usages);
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
    deriveKey(secret, encryptionSalt, 'aes'),
    deriveKey(secret, integritySalt, 'hmac'),
  ]);
  return { encryptionSalt, integritySalt, encryption, integrity };
}

async function hmac(key: IronKey, text: string): Promise<Uint8Array> {
  const node = nodeCrypto();
  if (node !== undefined) {
    const mac = node.createHmac('sha256', key as Uint8Array);
    return mac.update(text).digest();
  }
  return new Uint8Array(await crypto.subtle.sign('HMAC', key as CryptoKey, encoder.encode(text)));
}

/** Compares in time that depends on the lengths only, never on where the bytes differ. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The JSON value sealed in `sealed`, or `undefined` if its HMAC does not verify under `secret`;
 * throws on a seal whose parts are malformed. Checks neither the secret id nor the expiry: the
 * caller's envelope check did. `fixed` are `secret`'s own salts and keys.
 */
export async function openIronSeal(
  sealed: string,
  secret: string,
  fixed: FixedKeys,
): Promise<unknown> {
  // Fe26.2*secretId*encryptionSalt*iv*ciphertext*expiration*integritySalt*hmac
  const [, , encryptionSalt = '', iv = '', body = '', , integritySalt = '', mac = ''] =
    sealed.split('*');
  const signed = sealed.slice(0, sealed.length - integritySalt.length - mac.length - 2);
  const integrity =
    integritySalt === fixed.integritySalt
      ? fixed.integrity
      : await deriveKey(secret, integritySalt, 'hmac');
  // HMAC first: nothing unauthenticated reaches the cipher.
  if (!equalBytes(await hmac(integrity, signed), fromBase64url(mac))) return undefined;
  const encryption =
    encryptionSalt === fixed.encryptionSalt
      ? fixed.encryption
      : await deriveKey(secret, encryptionSalt, 'aes');
  const ivBytes = fromBase64url(iv);
  const data = fromBase64url(body);
  const node = nodeCrypto();
  let text: string;
  if (node !== undefined) {
    const decipher = node.createDecipheriv('aes-256-cbc', encryption as Uint8Array, ivBytes);
    text = decipher.update(data, undefined, 'utf8') + decipher.final('utf8');
  } else {
    const params = { name: 'AES-CBC', iv: ivBytes };
    text = decoder.decode(await crypto.subtle.decrypt(params, encryption as CryptoKey, data));
  }
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
  const mac = base64url(await hmac(fixed.integrity, signed));
  return `${signed}*${fixed.integritySalt}*${mac}`;
}
