/**
 * fast-check arbitraries for fuzzing the example app's JSON API: bodies (as raw bytes, so that
 * malformed JSON, odd keys and duplicate keys reach the server exactly as generated), content
 * types and the key segment of `/api/session/<key>` paths.
 */

import fc from 'fast-check';
import { MAX_API_TTL_SECONDS, MAX_KEY_LENGTH } from './json-api-model.ts';

/** A request body and the content type it is sent with (`undefined`: no header). */
export interface RawBody {
  contentType: string | undefined;
  body: Uint8Array;
}

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

/** Keys that are trouble somewhere: prototype members, bidi controls, emoji, empty, reserved. */
export const ODD_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  '',
  ' ',
  '\u202Eevil\u202C',
  'שלום',
  'مرحبا بالعالم',
  '🙂',
  '👩‍👩‍👧‍👦',
  'e\u0301',
  '\uFEFF',
  '\u0000',
  '@flash:notice',
  'value',
  'ttl',
  'username',
];

/** A UTF-16 surrogate without its other half. */
export const LONE_SURROGATE =
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const loneSurrogate = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((unit) => String.fromCharCode(unit));

/** Short strings of every kind, lone surrogates included. */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ODD_KEYS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc
    .array(fc.oneof(loneSurrogate, fc.string({ unit: 'grapheme', maxLength: 2 })), {
      minLength: 1,
      maxLength: 4,
    })
    .map((parts) => parts.join('')),
);

/** A JSON number's text: integers, doubles, exponents, negative zero. */
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom('-0', '1e21', '1E-7', '12345678901234567890', '0.1'),
);

/** Leaves of a JSON document, as text. */
const leafText = fc.oneof(
  fc.constantFrom('null', 'true', 'false'),
  numberText,
  oddString.map((s) => JSON.stringify(s)),
);

/** An object's text from its entries, kept as written: duplicates and `__proto__` included. */
export function objectText(entries: ReadonlyArray<readonly [string, string]>): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
}

/** Any JSON document, as text, with odd keys in its objects. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ doc: string }>((tie) => ({
  doc: fc.oneof(
    { depthSize: 'small' },
    leafText,
    fc.array(tie('doc'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(oddString, tie('doc')), { maxLength: 4 }).map(objectText),
  ),
})).doc;

/** TTLs the API takes, long enough that a field outlives the test. */
const validTtlText = fc.oneof(
  fc.integer({ min: 600, max: MAX_API_TTL_SECONDS }).map(String),
  fc.double({ min: 600, max: MAX_API_TTL_SECONDS, noNaN: true }).map((n) => JSON.stringify(n)),
);

/** TTLs of the wrong type or out of range. */
const badTtlText = fc.oneof(
  fc.constantFrom('0', '-0', '-1', '-1e-9', '1e308', String(MAX_API_TTL_SECONDS + 1), '"60"'),
  fc.constantFrom('null', 'true', '[]', '{}', '[60]', '{"seconds":60}'),
  fc.integer({ max: 0 }).map(String),
  fc.integer({ min: MAX_API_TTL_SECONDS + 1 }).map(String),
  oddString.map((s) => JSON.stringify(s)),
);

/**
 * A PUT body's JSON text: an object with or without `value`, with a good, bad or no `ttl`, and
 * odd extra keys, in any order.
 */
export const putObjectText: fc.Arbitrary<string> = fc
  .record({
    value: fc.option(jsonText, { nil: undefined }),
    ttl: fc.option(fc.oneof(validTtlText, badTtlText), { nil: undefined }),
    extra: fc.array(fc.tuple(oddString, jsonText), { maxLength: 3 }),
  })
  .chain(({ value, ttl, extra }) => {
    const entries: Array<[string, string]> = [...extra];
    if (value !== undefined) entries.push(['value', value]);
    if (ttl !== undefined) entries.push(['ttl', ttl]);
    return fc.shuffledSubarray(entries, { minLength: entries.length }).map(objectText);
  });

/** Text with one character replaced, inserted or removed, or cut short. */
export function mutated(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const junk = fc.constantFrom(...'{}[]",:\\ \n\t0aeE.-+/\u0000\u2028');
  return text.chain((source) => {
    const at = fc.nat({ max: Math.max(0, source.length - 1) });
    return fc.oneof(
      fc.tuple(at, junk).map(([i, c]) => source.slice(0, i) + c + source.slice(i + 1)),
      fc.tuple(at, junk).map(([i, c]) => source.slice(0, i) + c + source.slice(i)),
      at.map((i) => source.slice(0, i) + source.slice(i + 1)),
      at.map((i) => source.slice(0, i)),
    );
  });
}

/** Bodies that are not JSON, or barely not: classics, mutations, random text and bytes. */
export const malformedBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .constantFrom(
      '',
      ' ',
      '{',
      '}',
      '{"value"}',
      "{'value': 1}",
      '{"value": 1,}',
      '{"value": NaN}',
      '{"value": Infinity}',
      '{"value": undefined}',
      '{"value": 01}',
      '{"value": 0x10}',
      '{"value": "\\x41"}',
      '{"value": "a\nb"}',
      '{"value": 1} trailing',
      '{"value": 1}{"value": 2}',
      '\uFEFF{"value": 1}',
      '{"value": "\\ud800"}',
      '{"value": 1',
    )
    .map(bytes),
  mutated(putObjectText).map(bytes),
  fc.string({ maxLength: 200 }).map(bytes),
  fc.uint8Array({ maxLength: 200 }),
);

/** Values nested far beyond what a session should hold, in a body under the size limit. */
export const deepBody: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    fc.integer({ min: 1, max: 300 }).map((depth) => ({ depth, kind: 'array' as const })),
    fc.integer({ min: 5_000, max: 30_000 }).map((depth) => ({ depth, kind: 'array' as const })),
    fc.integer({ min: 1, max: 300 }).map((depth) => ({ depth, kind: 'object' as const })),
    fc.integer({ min: 5_000, max: 12_000 }).map((depth) => ({ depth, kind: 'object' as const })),
  )
  .map(({ depth, kind }) => {
    const [open, leaf, close] = kind === 'array' ? ['[', '', ']'] : ['{"a":', '1', '}'];
    return bytes(`{"value":${open.repeat(depth)}${leaf}${close.repeat(depth)}}`);
  });

/** A string value of a few KB to past the body limit, in 1- to 4-byte characters. */
export const bigBody: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.integer({ min: 1_000, max: 80_000 }), fc.constantFrom('x', 'é', '中', '🙂'))
  .map(([length, char]) => bytes(`{"value":${JSON.stringify(char.repeat(length))}}`));

/** Content types: mostly JSON ones, sometimes something else, sometimes none. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/json;x=1',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
      'application/json-seq',
      'application/ld+json',
      'json',
      '',
      undefined,
    ),
  },
);

/** A PUT body of any of the kinds above. */
export const putBody: fc.Arbitrary<RawBody> = fc.record({
  contentType,
  body: fc.oneof(
    { weight: 5, arbitrary: putObjectText.map(bytes) },
    { weight: 1, arbitrary: jsonText.map(bytes) },
    { weight: 3, arbitrary: malformedBody },
    { weight: 1, arbitrary: deepBody },
    { weight: 1, arbitrary: bigBody },
  ),
});

/** Usernames the API's rule accepts, and many it does not, as JSON text. */
const usernameText = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/).map((s) => JSON.stringify(s)),
  fc.constantFrom('""', '" ada"', '"ada!"', `"${'a'.repeat(41)}"`, '"__proto__"', '"\\ud800"'),
  oddString.map((s) => JSON.stringify(s)),
  jsonText,
);

/** A login body: `{ "username": ... }` with odd company, or something else entirely. */
export const loginBody: fc.Arbitrary<RawBody> = fc.record({
  contentType,
  body: fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          fc.option(usernameText, { nil: undefined }),
          fc.array(fc.tuple(oddString, jsonText), { maxLength: 3 }),
        )
        .map(([username, extra]) =>
          bytes(objectText(username === undefined ? extra : [...extra, ['username', username]])),
        ),
    },
    { weight: 1, arbitrary: fc.constant(bytes('{"__proto__":{"username":"ada"}}')) },
    { weight: 2, arbitrary: malformedBody },
    { weight: 1, arbitrary: deepBody },
  ),
});

/** A string in which each lone surrogate is escaped as the UTF-8 bytes it would have (invalid). */
function percentEncodeLoosely(key: string): string {
  let out = '';
  for (const char of key) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

/** Keys valid and not: odd ones, too long, NUL, the flash prefix. */
const keyString = fc.oneof(
  { weight: 6, arbitrary: oddString },
  {
    weight: 1,
    arbitrary: fc.string({ minLength: MAX_KEY_LENGTH - 2, maxLength: MAX_KEY_LENGTH + 40 }),
  },
  { weight: 1, arbitrary: oddString.map((s) => `@flash:${s}`) },
  { weight: 1, arbitrary: oddString.map((s) => `a\u0000${s}`) },
);

/** Segments that are not percent-encoded UTF-8, from characters a URL carries unchanged. */
const malformedSegment = fc.oneof(
  fc.constantFrom(
    '%',
    '%%',
    '%Z',
    '%4',
    'a%2',
    '%E2%82',
    '%C0%80',
    '%FF',
    '%ED%A0%80',
    '%F4%90%80%80',
  ),
  fc
    .array(fc.constantFrom('%', 'a', 'F', '9', '-', '%E2', '%80', '%2'), {
      minLength: 1,
      maxLength: 8,
    })
    .map((parts) => parts.join('')),
);

/**
 * The `<key>` segment of `/api/session/<key>`. Keys `reserved` names are left out, so a fuzzed
 * write cannot pass for damage, and so are `.` and `..`, which a URL resolves away before
 * sending. The sign-in keys are among the keys tried first.
 */
export function keySegment(reserved: (key: string) => boolean): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 2, arbitrary: fc.constantFrom('greeting', 'fuzz', 'userId', 'username') },
      { weight: 6, arbitrary: keyString.map(percentEncodeLoosely) },
      { weight: 2, arbitrary: malformedSegment },
    )
    .filter((segment) => {
      let key: string;
      try {
        key = decodeURIComponent(segment);
      } catch {
        return true;
      }
      return key !== '.' && key !== '..' && !reserved(key);
    });
}
