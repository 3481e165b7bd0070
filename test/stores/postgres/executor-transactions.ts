/**
 * Transaction cases every query executor must pass, registered inside an executor's own
 * `describe` with the scratch table (`name text PRIMARY KEY, value bytea`) it created.
 */

import { expect, it } from 'vitest';
import type { PostgresExecutor } from '../../../src/stores/postgres/executor.ts';

const hex = (value: unknown) => Buffer.from(value as Uint8Array).toString('hex');

/** How many rows of `items` are called `name`, as seen by `tx`. */
export async function countNamed(
  tx: Pick<PostgresExecutor, 'query'>,
  items: string,
  name: string,
): Promise<unknown> {
  return (await tx.query(`SELECT count(*)::float8 AS n FROM ${items} WHERE name = $1`, [name]))[0]
    ?.n;
}

export function describeTransactionBasics(fixture: {
  executor: () => PostgresExecutor;
  items: () => string;
}): void {
  it('commits a transaction whose work resolves, and resolves its result', async () => {
    const executor = fixture.executor();
    const items = fixture.items();
    const result = await executor.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${items} VALUES ($1, $2)`, ['committed', Uint8Array.of(1)]);
      return countNamed(tx, items, 'committed');
    });
    expect(result).toBe(1);
    const rows = await executor.query(`SELECT value FROM ${items} WHERE name = $1`, ['committed']);
    expect(rows.map((row) => hex(row.value))).toEqual(['01']);
  });

  it('rolls back a transaction whose work throws, and rethrows the same error', async () => {
    const executor = fixture.executor();
    const items = fixture.items();
    const failure = new Error('work failed');
    const attempt = executor.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${items} VALUES ($1, NULL)`, ['rolled back']);
      throw failure;
    });
    await expect(attempt).rejects.toBe(failure);
    expect(await countNamed(executor, items, 'rolled back')).toBe(0);
  });
}
