/**
 * Where the store's two tables live. Schema and table names come from options, so they are
 * checked against a strict pattern and then always double-quoted: no option text ever reaches
 * the SQL unquoted, and quoting keeps a name's case exactly as given.
 *
 * @packageDocumentation
 */

import { ConfigError } from '../../core/errors.ts';

/** The schema the tables live in unless told otherwise. */
export const DEFAULT_SCHEMA = 'public';

/** Prepended to `sessions` and `session_fields`, as in the committed Prisma migration. */
export const DEFAULT_TABLE_PREFIX = 'ruts_';

/** Postgres truncates longer identifiers silently, which would point the store elsewhere. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * The longest name derived from the prefix: the fields table's foreign key, as the migration and
 * Prisma name it. Cut at 63 bytes, derived names would collide, and `migrate` fail.
 */
const LONGEST_DERIVED_SUFFIX = 'session_fields_session_id_fkey';
const MAX_PREFIX_LENGTH = MAX_IDENTIFIER_BYTES - LONGEST_DERIVED_SUFFIX.length;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PREFIX = /^([A-Za-z_][A-Za-z0-9_]*)?$/;

/** The names the store uses, raw (for catalog lookups) and quoted (for SQL text). */
export interface PostgresTables {
  /** The schema both tables live in. */
  readonly schema: string;
  /** The table prefix, possibly empty. */
  readonly prefix: string;
  /** The sessions table's bare name, as `information_schema` lists it. */
  readonly sessionsName: string;
  /** The fields table's bare name, as `information_schema` lists it. */
  readonly fieldsName: string;
  /** The sessions table as `"schema"."table"`, ready for SQL text. */
  readonly sessions: string;
  /** The fields table as `"schema"."table"`, ready for SQL text. */
  readonly fields: string;
}

/** Validates the options and derives every name from them. Throws {@link ConfigError}. */
export function resolveTables(
  schema: string = DEFAULT_SCHEMA,
  tablePrefix: string = DEFAULT_TABLE_PREFIX,
): PostgresTables {
  if (
    typeof schema !== 'string' ||
    !IDENTIFIER.test(schema) ||
    schema.length > MAX_IDENTIFIER_BYTES
  ) {
    throw new ConfigError(
      `PostgresStore schema must be a plain identifier (a letter or underscore, then letters, ` +
        `digits or underscores, at most ${MAX_IDENTIFIER_BYTES} characters), got ` +
        `${JSON.stringify(schema)}. Leave it out for "${DEFAULT_SCHEMA}".`,
    );
  }
  const sessionsName = `${tablePrefix}sessions`;
  const fieldsName = `${tablePrefix}session_fields`;
  if (
    typeof tablePrefix !== 'string' ||
    !PREFIX.test(tablePrefix) ||
    tablePrefix.length > MAX_PREFIX_LENGTH
  ) {
    throw new ConfigError(
      `PostgresStore tablePrefix must be empty or a plain identifier (a letter or underscore, ` +
        `then letters, digits or underscores, at most ${MAX_PREFIX_LENGTH} characters, so that ` +
        `the longest name derived from it, <prefix>${LONGEST_DERIVED_SUFFIX}, fits Postgres' ` +
        `${MAX_IDENTIFIER_BYTES} bytes), got ${JSON.stringify(tablePrefix)}. Leave it out for ` +
        `"${DEFAULT_TABLE_PREFIX}".`,
    );
  }
  return {
    schema,
    prefix: tablePrefix,
    sessionsName,
    fieldsName,
    sessions: `${quote(schema)}.${quote(sessionsName)}`,
    fields: `${quote(schema)}.${quote(fieldsName)}`,
  };
}

/** Only ever called on names that passed the patterns above, which contain no quote to escape. */
export function quote(identifier: string): string {
  return `"${identifier}"`;
}
