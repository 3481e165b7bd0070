import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/core/errors.ts';
import type { PostgresExecutor } from '../../../src/stores/postgres/executor.ts';
import { pgliteExecutor } from '../../../src/stores/postgres/pglite-executor.ts';
import {
  initMigrationSql,
  limitsMigrationSql,
  migrate,
} from '../../../src/stores/postgres/postgres-migration.ts';
import { PostgresStore } from '../../../src/stores/postgres/postgres-store.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';
import { readField } from '../../support/read-field.ts';

const folders: string[] = [];
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'ruts-pglite-'));
  folders.push(folder);
  return folder;
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const utf8 = (text: string) => new TextEncoder().encode(text);

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
const write = { create: true, idleMs: 60_000 };

describeStoreConformance('PostgresStore on PGlite', async () => {
  const executor = pgliteExecutor(tempFolder());
  // Boots the database here, so its second or two of start-up is not billed to the first test.
  await migrate(executor);
  const store = new PostgresStore({ executor });
  return { store, teardown: () => store.close() };
});

describe('pgliteExecutor', () => {
  /** One in-memory database for the tests that need no folder: each boot takes a second. */
  let memory: PostgresExecutor;
  beforeAll(async () => {
    memory = pgliteExecutor('memory://executor-tests');
    await memory.query('CREATE TABLE counter (name text PRIMARY KEY, n int)', []);
  });
  afterAll(async () => {
    await memory?.close();
  });

  it('keeps sessions in its folder across a close and a reopen', async () => {
    const folder = tempFolder();
    const first = new PostgresStore({ executor: pgliteExecutor(folder), migrate: true });
    await first.set('family1.key', { field: 'cart', value: utf8('3 apples') }, write);
    await first.close();

    const second = new PostgresStore({ executor: pgliteExecutor(folder), migrate: true });
    try {
      expect(await readField(second, 'family1.key', 'cart')).toEqual(utf8('3 apples'));
    } finally {
      await second.close();
    }
  });

  it('creates missing parent folders of its data folder', async () => {
    const folder = join(tempFolder(), 'not', 'there', 'yet');
    const store = new PostgresStore({ executor: pgliteExecutor(folder), migrate: true });
    try {
      await store.set('family1.key', { field: 'a', value: utf8('1') }, write);
      expect(await readField(store, 'family1.key', 'a')).toEqual(utf8('1'));
    } finally {
      await store.close();
    }
  });

  it('runs on a PGlite instance you pass, and leaves it open on close', async () => {
    const db = await PGlite.create();
    const executor = pgliteExecutor(db);
    expect(await migrate(executor)).toBe(true);
    const store = new PostgresStore({ executor });
    await store.set('family1.key', { field: 'a', value: utf8('1') }, write);
    await store.close();
    const rows = await db.query('SELECT count(*)::int AS n FROM ruts_sessions');
    expect(rows.rows).toEqual([{ n: 1 }]);
    await db.close();
  });

  it('holds a statement issued during a transaction until the transaction commits', async () => {
    await memory.query(`INSERT INTO counter VALUES ('held', 0)`, []);
    const inside = gate();
    const proceed = gate();
    const transaction = memory.transaction(async (tx) => {
      await tx.query(`UPDATE counter SET n = n + 1 WHERE name = 'held'`, []);
      inside.open();
      await proceed.opened;
      await tx.query(`UPDATE counter SET n = n + 1 WHERE name = 'held'`, []);
    });
    await inside.opened;
    let seen: unknown;
    const outside = memory.query(`SELECT n FROM counter WHERE name = 'held'`, []).then((rows) => {
      seen = rows;
      return rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toBeUndefined();
    proceed.open();
    await transaction;
    expect(await outside).toEqual([{ n: 2 }]);
  });

  it('rolls a transaction back when its work throws', async () => {
    await memory.query(`INSERT INTO counter VALUES ('rolled back', 0)`, []);
    const failing = memory.transaction(async (tx) => {
      await tx.query(`UPDATE counter SET n = n + 1 WHERE name = 'rolled back'`, []);
      throw new Error('changed my mind');
    });
    await expect(failing).rejects.toThrow('changed my mind');
    expect(await memory.query(`SELECT n FROM counter WHERE name = 'rolled back'`, [])).toEqual([
      { n: 0 },
    ]);
  });

  it('creates the tables once, however often migrate runs', async () => {
    expect(await migrate(memory)).toBe(true);
    expect(await migrate(memory)).toBe(false);
    expect(await migrate(memory, { schema: 'sessions', tablePrefix: 'app_' })).toBe(true);
    const rows = await memory.query<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
       WHERE table_name LIKE '%session%' ORDER BY 1`,
      [],
    );
    expect(rows.map((row) => row.name)).toEqual([
      'public.ruts_session_fields',
      'public.ruts_sessions',
      'sessions.app_session_fields',
      'sessions.app_sessions',
    ]);
  });

  it('brings tables of the init migration forward, keeping their sessions', async () => {
    await memory.query('CREATE SCHEMA old_tables', []);
    for (const statement of initMigrationSql({ schema: 'old_tables' }).split(';').slice(0, -1)) {
      await memory.query(statement, []);
    }
    await memory.query(
      `INSERT INTO old_tables.ruts_sessions (key, expires_at)
       VALUES ('family1.old', now() + interval '1 hour')`,
      [],
    );
    expect(await migrate(memory, { schema: 'old_tables' })).toBe(true);
    expect(await migrate(memory, { schema: 'old_tables' })).toBe(false);
    const store = new PostgresStore({ executor: memory, schema: 'old_tables' });
    const limits = { maxFields: 1, maxSessionBytes: 100 };
    await store.set('family1.old', { field: 'a', value: utf8('1') }, { ...write, limits });
    await expect(
      store.set('family1.old', { field: 'b', value: utf8('2') }, { ...write, limits }),
    ).rejects.toThrow(/maxFields/);
    expect(await readField(store, 'family1.old', 'a')).toEqual(utf8('1'));
  });

  it('brings tables of the limits migration forward, their sessions read without an owner', async () => {
    await memory.query('CREATE SCHEMA v2_tables', []);
    const v2 =
      initMigrationSql({ schema: 'v2_tables' }) + limitsMigrationSql({ schema: 'v2_tables' });
    for (const statement of v2.split(';').slice(0, -1)) await memory.query(statement, []);
    await memory.query(
      `INSERT INTO v2_tables.ruts_sessions (key, expires_at, field_count, field_bytes)
       VALUES ('family1.v2', now() + interval '1 hour', 0, 0)`,
      [],
    );
    expect(await migrate(memory, { schema: 'v2_tables' })).toBe(true);
    expect(await migrate(memory, { schema: 'v2_tables' })).toBe(false);
    const store = new PostgresStore({ executor: memory, schema: 'v2_tables' });
    await store.set('family1.v2', { field: 'a', value: utf8('1') }, write);
    const session = await store.getAll('family1.v2');
    expect(session?.fields.get('a')?.value).toEqual(utf8('1'));
    expect(session).not.toHaveProperty('owner');
    await store.rename('family1.v2', 'family1.v2-signed-in', { idleMs: 60_000, owner: 'user-1' });
    const [owned] = await store.listOwned('user-1', ['a']);
    expect(owned).toMatchObject({ key: 'family1.v2-signed-in', lastActiveAt: expect.any(Number) });
    expect(await store.deleteOwned('user-1')).toEqual(['family1.v2-signed-in']);
  });

  it('refuses statements once closed, rather than reopening the database', async () => {
    const executor = pgliteExecutor('memory://');
    await executor.close();
    await expect(executor.query('SELECT 1', [])).rejects.toThrow(/closed/);
  });

  describe('one database per source in a process', () => {
    it('gives every executor of one folder the same database, however the path is spelled', async () => {
      const folder = tempFolder();
      const pages = new PostgresStore({ executor: pgliteExecutor(folder), migrate: true });
      const routes = new PostgresStore({
        executor: pgliteExecutor(relative(process.cwd(), join(folder, 'sub', '..'))),
        migrate: true,
      });
      try {
        await pages.set('family1.key', { field: 'cart', value: utf8('boots') }, write);
        expect(await readField(routes, 'family1.key', 'cart')).toEqual(utf8('boots'));
        // A logout through one is a logout through the other: no second copy of the data.
        expect(await routes.delete('family1.key')).toBe(true);
        expect(await pages.getAll('family1.key')).toBeUndefined();
      } finally {
        await Promise.all([pages.close(), routes.close()]);
      }
    });

    it('shares the database with a copy of the module evaluated again, as Turbopack does', async () => {
      const folder = tempFolder();
      vi.resetModules();
      const copy = await import('../../../src/stores/postgres/pglite-executor.ts');
      expect(copy.pgliteExecutor).not.toBe(pgliteExecutor);
      const first = new PostgresStore({ executor: pgliteExecutor(folder), migrate: true });
      const second = new PostgresStore({ executor: copy.pgliteExecutor(folder), migrate: true });
      try {
        await second.set('family1.key', { field: 'a', value: utf8('1') }, write);
        expect(await readField(first, 'family1.key', 'a')).toEqual(utf8('1'));
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });

    it('closes the database when the last executor of it closes, and reopens it after', async () => {
      const folder = tempFolder();
      const first = pgliteExecutor(folder);
      const second = pgliteExecutor(folder);
      await migrate(first);
      await second.query('SELECT 1', []);
      await first.close();
      expect(
        await second.query<{ n: number }>('SELECT count(*)::int AS n FROM ruts_sessions', []),
      ).toEqual([{ n: 0 }]);
      await second.close();
      const later = pgliteExecutor(folder);
      try {
        expect(await migrate(later)).toBe(false);
      } finally {
        await later.close();
      }
    });

    it('keeps memory:// databases of different names apart', async () => {
      const a = pgliteExecutor('memory://sharing-a');
      const b = pgliteExecutor('memory://sharing-b');
      try {
        await a.query('CREATE TABLE only_in_a (n int)', []);
        await expect(b.query('SELECT * FROM only_in_a', [])).rejects.toThrow(/only_in_a/);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('refuses an executor that asks for other PGlite options than the open database has', async () => {
      const folder = tempFolder();
      const first = pgliteExecutor(folder, { pglite: { relaxedDurability: true } });
      const second = pgliteExecutor(folder, { pglite: { relaxedDurability: false } });
      try {
        await first.query('SELECT 1', []);
        await expect(second.query('SELECT 1', [])).rejects.toThrow(ConfigError);
        await expect(second.query('SELECT 1', [])).rejects.toThrow(
          /already opened that database with \{"relaxedDurability":true\}/,
        );
        expect(await first.query('SELECT 1 AS one', [])).toEqual([{ one: 1 }]);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });

    it('tries again after a failed open, once what stood in the way is gone', async () => {
      const parent = tempFolder();
      const blocked = join(parent, 'file-in-the-way', 'sessions');
      writeFileSync(join(parent, 'file-in-the-way'), 'not a folder');
      const executor = pgliteExecutor(blocked);
      try {
        await expect(executor.query('SELECT 1', [])).rejects.toThrow();
        rmSync(join(parent, 'file-in-the-way'));
        expect(await executor.query('SELECT 1 AS one', [])).toEqual([{ one: 1 }]);
      } finally {
        await executor.close();
      }
    });
  });

  it('refuses anything but a path or a PGlite instance', () => {
    expect(() => pgliteExecutor('')).toThrow(ConfigError);
    expect(() => pgliteExecutor({} as never)).toThrow(ConfigError);
  });
});
