/**
 * The config's `schema` option: one Standard Schema validator per session key, checked on every
 * write and on every read of a stored value, since a session outlives the deploy that wrote it.
 * Sync validators stay sync, so a schema costs no extra tick per field.
 *
 * @packageDocumentation
 */

import { ConfigError } from './errors.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';

/**
 * A Standard Schema v1 validator per session key, such as `{ cart: z.array(z.string()) }`. A key
 * without one is not validated. Given to `createSessions`, it also types the session: each key
 * holds its schema's output.
 *
 * @typeParam T the session data's shape
 */
export type SessionSchema<T extends object = Record<string, unknown>> = {
  readonly [K in keyof T]?: StandardSchemaV1<unknown, T[K]>;
};

/**
 * The session data type a schema describes, each key holding its schema's output, for naming the
 * type that `createSessions({ schema })` infers.
 *
 * @example type AppSession = InferSession<typeof schema>;
 */
export type InferSession<S> = {
  [K in keyof S]: S[K] extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S[K]> : never;
};

/** What to do with a stored value its codec cannot decode or its schema refuses. */
export type InvalidFieldPolicy = 'drop' | 'throw';

/** A schema's verdict: the value to use, or the issues it found. */
export type Checked =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly issues: readonly StandardSchemaV1.Issue[];
      readonly cause?: unknown;
    };

/** Checks the `schema` option: a plain object of Standard Schema v1 validators. */
export function resolveSchema(
  schema: unknown,
): Readonly<Record<string, StandardSchemaV1 | undefined>> {
  if (schema === undefined) return {};
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ConfigError(
      'schema must be an object of validators by session key, such as ' +
        '{ cart: z.array(z.string()) }.',
    );
  }
  for (const [key, validator] of Object.entries(schema)) {
    const standard = (validator as Partial<StandardSchemaV1> | null)?.['~standard'];
    if (standard?.version !== 1 || typeof standard.validate !== 'function') {
      throw new ConfigError(
        `schema.${key} is not a Standard Schema v1 validator. Use a library that implements ` +
          'the standard (zod 3.24+, valibot 1+, arktype 2+), or leave the key out.',
      );
    }
  }
  return schema as Record<string, StandardSchemaV1>;
}

/** Checks the `onInvalid` option. */
export function resolveInvalidFieldPolicy(policy: unknown): InvalidFieldPolicy {
  if (policy === undefined) return 'drop';
  if (policy === 'drop' || policy === 'throw') return policy;
  throw new ConfigError(
    `onInvalid must be 'drop' or 'throw' (got ${JSON.stringify(policy)}). Leave it out for ` +
      "'drop', which reads a stored value that fails as absent.",
  );
}

/**
 * Runs `schema` over `value`: synchronously when the validator answers synchronously. Never
 * throws: a validator that throws counts as refusing the value.
 */
export function check(schema: StandardSchemaV1, value: unknown): Checked | Promise<Checked> {
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = schema['~standard'].validate(value);
  } catch (error) {
    return thrown(error);
  }
  return result instanceof Promise ? result.then(verdict, thrown) : verdict(result);
}

function verdict(result: StandardSchemaV1.Result<unknown>): Checked {
  return result.issues ? { ok: false, issues: result.issues } : { ok: true, value: result.value };
}

function thrown(error: unknown): Checked {
  const detail = error instanceof Error ? error.message : String(error);
  return { ok: false, issues: [{ message: `the validator threw: ${detail}` }], cause: error };
}
