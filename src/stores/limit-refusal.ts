/**
 * The error for a write a store's script or statement refused on a session limit. Stores report
 * the limit by name (`maxFields` or `maxSessionBytes`); this turns that report into the typed
 * error the handle throws, with the limit's value and the keys written.
 *
 * @packageDocumentation
 */

import { SessionTooLargeError } from '../core/errors.ts';
import type { FieldWrite, SessionLimits } from '../core/store-contract.ts';

/** The refusal `reported` names, or `undefined` when it names no limit (the write went ahead). */
export function limitRefusal(
  reported: unknown,
  limits: SessionLimits | undefined,
  entries: readonly FieldWrite[],
): SessionTooLargeError | undefined {
  const limit = String(reported);
  if (limit !== 'maxFields' && limit !== 'maxSessionBytes') return undefined;
  return new SessionTooLargeError(
    limit,
    limits?.[limit] ?? 0,
    entries.map((entry) => entry.field),
  );
}
