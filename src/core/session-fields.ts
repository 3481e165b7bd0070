/**
 * A field's value on its way into and out of the store: checked by the key's schema and encoded
 * on a write, decoded and checked again on a read. A stored value that fails on the way out is
 * reported and, by default, reads as absent, so one stale field never locks a user out of the
 * whole session.
 *
 * @packageDocumentation
 */

import type { CodecError } from './errors.ts';
import { FieldEncoder } from './field-encoder.ts';
import { assertValidKey } from './field-keys.ts';
import { SchemaError } from './schema-error.ts';
import type { ResolvedSessionConfig } from './session-config.ts';
import type { EmitEvent } from './session-events.ts';
import { type Checked, check } from './session-schema.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';
import type { FieldWrite } from './store-contract.ts';

/** A stored value as read: its value, or absent when it failed and the policy drops it. */
export interface ReadField {
  readonly present: boolean;
  readonly value: unknown;
}

/** A field that does not read: missing, expired, or dropped as invalid. */
export const ABSENT: ReadField = { present: false, value: undefined };

type FieldsConfig = Pick<
  ResolvedSessionConfig,
  'codec' | 'codecs' | 'maxValueBytes' | 'schema' | 'onInvalid'
>;

/** The handle's and the owner calls' way to write and read field values. */
export class SessionFields {
  private readonly encoder: FieldEncoder;

  constructor(
    private readonly config: FieldsConfig,
    private readonly emit: EmitEvent | undefined,
  ) {
    this.encoder = new FieldEncoder(config);
  }

  /**
   * The store entry for `value`, once the key's schema accepts it: what the schema outputs is
   * what is stored. Synchronous unless the validator is not. `field` is the stored name when it
   * differs from the key, as for flash messages, which share their key's codec and schema.
   *
   * @throws {SchemaError} when the schema refuses the value (or rejects with it, when async)
   */
  prepare(
    key: string,
    value: unknown,
    ttl: number | 'persistent' | undefined,
    field: string = key,
  ): FieldWrite | Promise<FieldWrite> {
    const schema = this.schemaFor(key);
    if (schema === undefined) return this.encoder.encode(key, value, ttl, field);
    assertValidKey(key);
    const checked = check(schema, value);
    if (!(checked instanceof Promise)) return this.encodeChecked(key, checked, ttl, field);
    const pending = checked.then((result) => this.encodeChecked(key, result, ttl, field));
    // The caller awaits it in its turn in the queue; until then a refusal is not unhandled.
    pending.catch(() => undefined);
    return pending;
  }

  /**
   * Decodes and checks a stored value. One that fails is reported as `invalid-field` and reads
   * as absent, or, with `onInvalid: 'throw'`, throws `CodecError` or `SchemaError`.
   */
  read(key: string, bytes: Uint8Array): ReadField | Promise<ReadField> {
    let value: unknown;
    try {
      value = this.encoder.decode(key, bytes);
    } catch (error) {
      return this.invalid(key, 'codec', error as CodecError);
    }
    const schema = this.schemaFor(key);
    if (schema === undefined) return { present: true, value };
    const checked = check(schema, value);
    return checked instanceof Promise
      ? checked.then((result) => this.readChecked(key, result))
      : this.readChecked(key, checked);
  }

  private encodeChecked(
    key: string,
    checked: Checked,
    ttl: number | 'persistent' | undefined,
    field: string,
  ): FieldWrite {
    if (!checked.ok) throw new SchemaError(key, checked.issues, 'write', causeOf(checked));
    return this.encoder.encode(key, checked.value, ttl, field);
  }

  private readChecked(key: string, checked: Checked): ReadField {
    if (checked.ok) return { present: true, value: checked.value };
    return this.invalid(
      key,
      'schema',
      new SchemaError(key, checked.issues, 'read', causeOf(checked)),
    );
  }

  private invalid(key: string, reason: 'codec' | 'schema', error: Error): ReadField {
    this.emit?.({ type: 'invalid-field', key, reason });
    if (this.config.onInvalid === 'throw') throw error;
    return ABSENT;
  }

  private schemaFor(key: string): StandardSchemaV1 | undefined {
    // Own keys only, as for codecs: `schema.constructor` must not find Object's.
    const { schema } = this.config;
    return Object.hasOwn(schema, key) ? schema[key] : undefined;
  }
}

/** The error a validator threw, as an error's options; none when it answered with issues. */
function causeOf(checked: Checked): { cause: unknown } | undefined {
  return !checked.ok && checked.cause !== undefined ? { cause: checked.cause } : undefined;
}
