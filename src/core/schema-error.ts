/**
 * The error of a value its field's schema refuses. It lives apart from `errors.ts` so that the
 * edge guard, which imports that module, stays the size it was.
 *
 * @packageDocumentation
 */

import { RutsError, type RutsErrorCode } from './errors.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';

/** Issues named in the message; the rest are counted. All of them are in `issues`. */
const SHOWN_ISSUES = 3;

/**
 * A value did not match its field's schema (the config's `schema` option). On a write
 * (`direction: 'write'`) nothing was written. On a read (`direction: 'read'`, only with
 * `onInvalid: 'throw'`) the stored value is left as it is.
 */
export class SchemaError extends RutsError {
  static override readonly code: RutsErrorCode = 'RUTS_SCHEMA';
  /** The session key whose value failed. */
  readonly key: string;
  /** What the schema reported, as it reported it. */
  readonly issues: readonly StandardSchemaV1.Issue[];
  /** Whether a value being written or a stored value being read failed. */
  readonly direction: 'write' | 'read';

  constructor(
    key: string,
    issues: readonly StandardSchemaV1.Issue[],
    direction: 'write' | 'read',
    options?: { cause?: unknown },
  ) {
    super(
      'RUTS_SCHEMA',
      direction === 'write'
        ? `the value of "${key}" does not match its schema (${describeIssues(issues)}); ` +
            'nothing was written. Pass a value the schema accepts, or change the schema.'
        : `the stored value of "${key}" does not match its schema (${describeIssues(issues)}). ` +
            'An older version of the app probably wrote it: remove the key, or leave ' +
            "`onInvalid` at 'drop' so such values read as absent.",
      options,
    );
    this.key = key;
    this.issues = issues;
    this.direction = direction;
  }
}

function describeIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  const shown = issues.slice(0, SHOWN_ISSUES).map((issue) => {
    const path = (issue.path ?? [])
      .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
      .join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = issues.length > SHOWN_ISSUES ? `, and ${issues.length - SHOWN_ISSUES} more` : '';
  return `${shown.join('; ') || 'no issue given'}${more}`;
}
