/**
 * The files a user copies out of README.md, read from README.md itself, so the consumer app is
 * built from exactly what the README says. A code block names its file on its first line:
 * `// lib/session.ts` in the Quick start, `// lib/session.ts: the store on Redis` for a store
 * that replaces the Quick start's, `// next.config.ts: for PGlite` for a store's settings.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Block {
  /** What the block's first line says, without the comment marker. */
  readonly label: string;
  /** The block without its first line. */
  readonly body: string;
}

function readme(): string {
  return readFileSync(path.join(REPOSITORY_ROOT, 'README.md'), 'utf8');
}

/** The text of the `## heading` section, up to the next `## `. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README.md has no "## ${heading}" section`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

function blocks(text: string): Block[] {
  const found: Block[] = [];
  for (const match of text.matchAll(/```(?:ts|tsx)\n\/\/ ([^\n]+)\n([\s\S]*?)```/g)) {
    found.push({ label: (match[1] as string).trim(), body: match[2] as string });
  }
  return found;
}

function only(candidates: Block[], what: string): Block {
  if (candidates.length !== 1) {
    throw new Error(`README.md should have exactly one ${what}, found ${candidates.length}`);
  }
  return candidates[0] as Block;
}

/** The Quick start's files by path (`lib/session.ts`, `proxy.ts`, ...), as the README gives them. */
export function quickStartFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const block of blocks(section(readme(), 'Quick start'))) {
    if (!/^[\w./[\]-]+\.(ts|tsx)$/.test(block.label)) continue;
    if (files.has(block.label)) throw new Error(`README.md's Quick start has two ${block.label}`);
    files.set(block.label, block.body);
  }
  return files;
}

/**
 * `lib/session.ts` of the Quick start with its store replaced by the README's block for `store`
 * (`Redis`, `PGlite`, `Redis over Postgres`...), as the README tells users to do: the block's
 * imports take the place of the `MemoryStore` import, its `const store` that of the Quick start's.
 */
export function sessionModuleFor(store: string): string {
  const quickStart = quickStartFiles().get('lib/session.ts');
  if (quickStart === undefined) throw new Error("README.md's Quick start has no lib/session.ts");
  const label = `lib/session.ts: the store on ${store}`;
  const block = only(
    blocks(section(readme(), 'Stores')).filter((candidate) => candidate.label === label),
    `"${label}" block`,
  );
  const imports = block.body.match(/^import [\s\S]*?;\n/gm) ?? [];
  const declaration = block.body.slice(block.body.indexOf('const store = '));
  const memoryImport = "import { MemoryStore } from 'ruts';\n";
  const memoryStore = /\/\/[^\n]*\nconst store = new MemoryStore\(\);\n/;
  if (!quickStart.includes(memoryImport) || !memoryStore.test(quickStart)) {
    throw new Error("README.md's lib/session.ts no longer has the MemoryStore lines to replace");
  }
  return quickStart
    .replace(memoryImport, imports.join(''))
    .replace(memoryStore, `${declaration.trimEnd()}\n`);
}

/** A store's `next.config.ts` from the README (`// next.config.ts: for PGlite`), if it has one. */
export function nextConfigFor(store: string): string | undefined {
  const label = `next.config.ts: for ${store}`;
  const found = blocks(section(readme(), 'Stores')).filter((block) => block.label === label);
  return found.length === 0 ? undefined : only(found, `"${label}" block`).body;
}
