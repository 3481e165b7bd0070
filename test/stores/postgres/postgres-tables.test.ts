import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.ts';
import { resolveTables } from '../../../src/stores/postgres/postgres-tables.ts';

describe('resolveTables', () => {
  it('defaults to the tables of the committed migration in public', () => {
    expect(resolveTables()).toEqual({
      schema: 'public',
      prefix: 'ruts_',
      sessionsName: 'ruts_sessions',
      fieldsName: 'ruts_session_fields',
      sessions: '"public"."ruts_sessions"',
      fields: '"public"."ruts_session_fields"',
    });
  });

  it('quotes the names it derives, keeping their case', () => {
    const tables = resolveTables('Auth', 'App_');
    expect(tables.sessions).toBe('"Auth"."App_sessions"');
    expect(tables.fields).toBe('"Auth"."App_session_fields"');
  });

  it('accepts an empty prefix', () => {
    expect(resolveTables('public', '').sessions).toBe('"public"."sessions"');
  });

  it.each([
    '',
    'public; DROP TABLE users',
    'a"b',
    '1st',
    'my-schema',
    'with space',
    'ünïcode',
    'x'.repeat(64),
    42,
  ])('rejects the schema %j, saying what is allowed', (schema) => {
    const resolve = () => resolveTables(schema as string);
    expect(resolve).toThrow(ConfigError);
    expect(resolve).toThrow(/schema must be a plain identifier/);
  });

  it.each(['ruts-', 'a b', '"', '9_', "x'); DROP TABLE users; --", 'x'.repeat(34), null])(
    'rejects the table prefix %j, saying what is allowed',
    (prefix) => {
      const resolve = () => resolveTables('public', prefix as string);
      expect(resolve).toThrow(ConfigError);
      expect(resolve).toThrow(/tablePrefix must be empty or a plain identifier/);
    },
  );

  it('accepts the longest prefix whose derived names Postgres keeps whole, and says why', () => {
    const longest = 'p'.repeat(63 - 'session_fields_session_id_fkey'.length);
    expect(resolveTables('public', longest).prefix).toHaveLength(33);
    // 48 and 49 used to pass, then failed in migrate when cut names collided.
    for (const length of [34, 48, 49]) {
      expect(() => resolveTables('public', 'p'.repeat(length))).toThrow(
        /at most 33 characters, so that the longest name derived from it/,
      );
    }
  });
});
