/**
 * Field names that are also members of Object.prototype are ordinary keys: the per-field codec
 * lookup must not find `Object.prototype.constructor` for a field named `constructor`.
 */

import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../src/codecs/json-codec.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import { Browser } from '../support/browser.ts';
import { memoryStore } from '../support/memory-store.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const NAMES = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
];

describe('fields named like Object.prototype members', () => {
  it('are written, read, listed and removed like any other field', async () => {
    const manager = createSessionManager<Record<string, unknown>>({
      secret,
      store: memoryStore(),
      codecs: { prefs: jsonCodec },
    });
    const browser = new Browser(manager);
    const writer = browser.request();
    for (const [index, name] of NAMES.entries()) await writer.set(name, { index });

    const reader = browser.request();
    for (const [index, name] of NAMES.entries()) expect(await reader.get(name)).toEqual({ index });
    const all = await reader.getAll();
    expect(Object.keys(all).sort()).toEqual([...NAMES].sort());
    expect(Object.getPrototypeOf(all)).toBe(Object.prototype);

    const remover = browser.request();
    for (const name of NAMES) expect(await remover.remove(name)).toBe(true);
    expect(await browser.request().getAll()).toEqual({});
  });
});
