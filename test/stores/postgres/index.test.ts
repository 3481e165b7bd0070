import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as postgres from '../../../src/stores/postgres/index.ts';

const entry = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../src/stores/postgres/index.ts',
);

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

describe('the ruts/postgres entry', () => {
  it('loads no database driver until an executor needs one', () => {
    const { eager, lazy } = packagesOf(entry);
    expect([...eager].sort()).toEqual(['node:crypto']);
    // node:fs/promises only creates a PGlite data folder's parents.
    expect([...lazy].sort()).toEqual([
      '@electric-sql/pglite',
      '@vercel/postgres',
      'node:fs/promises',
      'pg',
    ]);
  });

  it('exports the store, the executors and the migration helpers', () => {
    expect(Object.keys(postgres).sort()).toEqual([
      'INIT_MIGRATION',
      'PostgresStore',
      'initMigrationSql',
      'migrate',
      'pgExecutor',
      'pgliteExecutor',
      'prismaExecutor',
      'vercelExecutor',
    ]);
  });
});
