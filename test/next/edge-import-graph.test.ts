import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const entry = resolve(root, 'src/next/edge.ts');

/**
 * The specifiers a module loads at runtime. Whole-statement `import type` and `export type` are
 * erased by the compiler, so they cannot pull code into the edge bundle; an inline
 * `import { type X }` still loads its module under `verbatimModuleSyntax`, so it counts.
 */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier) {
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      const [argument] = node.arguments;
      specifiers.push(argument && ts.isStringLiteral(argument) ? argument.text : '<computed>');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** Every source file and package the entry reaches at runtime, following relative imports. */
function walk(start: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const pending = [start];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.includes(file)) continue;
    files.push(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else packages.add(specifier);
    }
  }
  return { files: files.map((file) => relative(root, file)), packages };
}

describe('the ruts/next/edge entry', () => {
  const graph = walk(entry);

  it('reaches no module the edge runtime would reject', () => {
    const forbidden = [
      /^src\/codecs\//,
      /^src\/stores\//,
      /^src\/core\/session\.ts$/,
      /^src\/core\/session-manager\.ts$/,
      /^src\/core\/session-config\.ts$/,
      /^src\/core\/session-snapshot\.ts$/,
      /^src\/next\/create-sessions\.ts$/,
      /^src\/next\/proxy-guard\.ts$/,
      // Validators, events and their reporting are the Node session's, never the edge guard's.
      /^src\/core\/session-(schema|fields|events)\.ts$/,
      /^src\/core\/(schema-error|seal-rejection|store-reporting)\.ts$/,
    ];
    const reached = graph.files.filter((file) => forbidden.some((pattern) => pattern.test(file)));
    expect(reached, `edge graph: ${graph.files.join(', ')}`).toEqual([]);
  });

  it('loads no package but next/server and the Web Crypto seal', () => {
    const allowed = new Set(['next/server.js', 'iron-webcrypto']);
    const unexpected = [...graph.packages].filter((name) => !allowed.has(name));
    expect(unexpected).toEqual([]);
    expect(graph.packages).not.toContain('next/headers.js');
    expect(graph.packages).not.toContain('msgpackr');
  });

  it('contains no dynamic code evaluation of its own', () => {
    const evaluating = graph.files.filter((file) =>
      /\bnew Function\s*\(|\beval\s*\(/.test(readFileSync(resolve(root, file), 'utf8')),
    );
    expect(evaluating).toEqual([]);
  });

  it('is checked by a walker that does follow imports', () => {
    expect(graph.files).toContain('src/next/edge-guard.ts');
    expect(graph.files).toContain('src/core/cookie-seal.ts');
    expect(walk(resolve(root, 'src/next/index.ts')).packages).toContain('next/headers.js');
  });

  it('bundles small: it verifies seals and never makes one', async () => {
    // Bundled as a bundler would for middleware.ts (vitest's own bundler, minified, with
    // iron-webcrypto in). The guard grew a payload parser but lost iron's sealing code.
    const { build } = await import('rolldown');
    const output = await build({
      input: entry,
      platform: 'neutral',
      write: false,
      output: { minify: true, format: 'esm' },
      external: [/^next\//],
      logLevel: 'silent',
    });
    const [chunk] = output.output;
    // 16,073 bytes before lifetimes (7 December 2026); 14,832 after; 12,413 once ruts opened
    // iron seals itself, without iron-webcrypto (issue 19); 16,039 with ruts' own SHA-256, which
    // leaves one Web Crypto call (the decryption) where a verify made three; 16,389 with an HMAC
    // check that allocates nothing and a table decoder in place of `atob` (8 December 2026).
    expect(chunk?.code.length).toBeLessThan(16_500);
    // Nothing that makes a seal: no random IV, no encryption.
    expect(chunk?.code).not.toMatch(/getRandomValues|createCipheriv|subtle\.encrypt/);
  });
});
