import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.ts';
import {
  assertValidPrefix,
  DEFAULT_PREFIX,
  MAX_PREFIX_LENGTH,
  sessionKey,
} from '../../../src/stores/redis/redis-keys.ts';

describe('Redis key prefixes', () => {
  it.each([
    DEFAULT_PREFIX,
    '',
    'shop:sess:',
    ' !"#$%&()*+,-./09:;<=>?@AZ[\\]^_`az|~',
    'x'.repeat(64),
  ])('accepts the printable ASCII prefix %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).not.toThrow();
  });

  it.each([
    ['an opening brace', 'app{'],
    ['a closing brace', 'app}'],
    ['a hash tag of its own', '{app}:'],
    ['a non-ASCII letter', 'sessión:'],
    ['a newline', 'app\n'],
    ['a NUL', 'app\0'],
    ['a DEL', 'app\x7f'],
    ['65 characters', 'x'.repeat(MAX_PREFIX_LENGTH + 1)],
  ])('rejects a prefix with %s, saying what is allowed', (_, prefix) => {
    expect(() => assertValidPrefix(prefix)).toThrow(ConfigError);
    expect(() => assertValidPrefix(prefix)).toThrow(
      /at most 64 printable ASCII characters without "\{" or "\}"/,
    );
  });

  it.each([42, null, undefined])('rejects the non-string prefix %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).toThrow(ConfigError);
  });
});

describe('Redis session keys', () => {
  it('puts the family of the store key in the hash tag, and keeps the rest as it is', () => {
    expect(sessionKey('ruts:', 'AbCd-_12.hashhashhash')).toBe('ruts:{AbCd-_12}.hashhashhash');
  });

  it('gives both keys of a rename the same hash tag', () => {
    const [from, to] = [sessionKey('p:', 'family01.one'), sessionKey('p:', 'family01.two')];
    expect(from.slice(0, from.indexOf('}') + 1)).toBe(to.slice(0, to.indexOf('}') + 1));
  });

  it('splits at the first dot only', () => {
    expect(sessionKey('', 'fam.a.b')).toBe('{fam}.a.b');
  });

  it('tags a key without a family whole', () => {
    expect(sessionKey('p:', 'nofamily')).toBe('p:{nofamily}');
  });
});
