import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface PackedFile {
  path: string;
  size: number;
}

/** What `npm publish` would ship: `npm pack --dry-run`, which builds the package first. */
function packedFiles(): PackedFile[] {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [pack] = JSON.parse(output.slice(output.indexOf('['))) as { files: PackedFile[] }[];
  if (pack === undefined) throw new Error(`npm pack printed nothing to read:\n${output}`);
  return pack.files;
}

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

/** The compiled module and its declarations for every source module. */
function builtFrom(sources: string[]): string[] {
  return sources.flatMap((source) => {
    const base = source.replace(/^src\//, 'dist/').replace(/\.ts$/, '');
    return [`${base}.js`, `${base}.d.ts`];
  });
}

describe('the published package', () => {
  let shipped: Set<string>;
  beforeAll(() => {
    shipped = new Set(packedFiles().map((file) => file.path));
  }, 120_000);

  it('ships the build, the docs, the Prisma schema and migrations, and nothing else', () => {
    const docs = readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
    const expected = [
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'package.json',
      ...docs.map((name) => `docs/${name}`),
      'prisma/schema.prisma',
      ...filesUnder('prisma/migrations'),
      ...builtFrom(filesUnder('src').filter((file) => file.endsWith('.ts'))),
    ];
    expect([...shipped].sort()).toEqual(expected.sort());
  });

  it('resolves every entry point of package.json to a shipped file', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = Object.values(manifest.exports).flatMap((target) =>
      typeof target === 'string' ? [target] : Object.values(target),
    );
    expect(targets.length).toBeGreaterThan(10);
    for (const target of targets) expect(shipped).toContain(path.normalize(target));
  });

  it('opens and makes iron seals itself: iron-webcrypto is neither a dependency nor imported', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies)).not.toContain('iron-webcrypto');
    const built = [...shipped].filter((file) => /\.(js|d\.ts)$/.test(file));
    for (const file of built) {
      expect(readFileSync(path.join(ROOT, file), 'utf8'), file).not.toMatch(/from ['"]iron-/);
    }
  });

  it('depends on no schema library: the Standard Schema interface is copied, not imported', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['msgpackr']);
    const built = [...shipped].filter((file) => /\.(js|d\.ts)$/.test(file));
    for (const file of built) {
      expect(readFileSync(path.join(ROOT, file), 'utf8'), file).not.toMatch(
        /from ['"](zod|valibot|arktype|@standard-schema\/spec)['"/]/,
      );
    }
  });

  it('has a license, a repository, a homepage and keywords in package.json', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.keywords).toContain('nextjs');
  });

  it('links only to shipped files or to the web from its README and docs', () => {
    const pages = [...shipped].filter((file) => file.endsWith('.md'));
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(path.join(ROOT, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target as string)) continue;
        const file = path.normalize(
          path.join(path.dirname(page), (target as string).split('#')[0] as string),
        );
        if (!shipped.has(file)) broken.push(`${page} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
