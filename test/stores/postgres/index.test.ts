import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as postgres from '../../../src/stores/postgres/index.ts';

const folder = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/stores/postgres');

/** Packages the entry loads as it is imported, and those it may load later with `import()`. */
function packagesOf(start: string): { eager: Set<string>; lazy: Set<string> } {
  const eager = new Set<string>();
  const lazy = new Set<string>();
  const seen = new Set<string>();
  const pending = [start];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    const visit = (node: ts.Node): void => {
      let specifier: string | undefined;
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
        specifier = (node.moduleSpecifier as ts.StringLiteral).text;
      } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier) {
        specifier = (node.moduleSpecifier as ts.StringLiteral).text;
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword
      ) {
        lazy.add((node.arguments[0] as ts.StringLiteral).text);
      }
      if (specifier?.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else if (specifier !== undefined) eager.add(specifier);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { eager, lazy };
}

describe('the ruts/postgres entries', () => {
  it('keep every driver out of ruts/postgres, so a bundler never meets one the app lacks', () => {
    expect(packagesOf(resolve(folder, 'index.ts'))).toEqual({ eager: new Set(), lazy: new Set() });
  });

  it.each([
    ['ruts/postgres/pg', 'pg-executor.ts', ['node:crypto', 'pg']],
    [
      'ruts/postgres/pglite',
      'pglite-executor.ts',
      ['@electric-sql/pglite', 'node:fs/promises', 'node:path'],
    ],
    ['ruts/postgres/prisma', 'prisma-executor.ts', []],
    ['ruts/postgres/vercel', 'vercel-executor.ts', ['@vercel/postgres']],
  ])(
    'give %s (%s) its own driver and nothing else, imported up front',
    (_entry, file, packages) => {
      const { eager, lazy } = packagesOf(resolve(folder, file));
      expect([...eager].sort()).toEqual(packages);
      expect([...lazy]).toEqual([]);
    },
  );

  it('exports the store and the migration helpers from ruts/postgres', () => {
    expect(Object.keys(postgres).sort()).toEqual([
      'INIT_MIGRATION',
      'LIMITS_MIGRATION',
      'OWNERS_MIGRATION',
      'PostgresStore',
      'initMigrationSql',
      'limitsMigrationSql',
      'migrate',
      'ownersMigrationSql',
    ]);
  });
});
