/**
 * A Node built-in module found at run time, through `process.getBuiltinModule` (Node 20.16 and
 * later): nothing imports one, so edge bundles stay free of Node. Callers fall back to what every
 * runtime has when it is not there.
 *
 * @packageDocumentation
 */

interface Host {
  EdgeRuntime?: unknown;
  process?: { getBuiltinModule?: (id: string) => unknown };
}

/**
 * The built-in module `id`, such as `'node:crypto'`, or `undefined`. Next.js's edge sandbox is
 * skipped outright: it warns on any `process` member it lacks.
 */
export function nodeBuiltin(id: string): object | undefined {
  const host = globalThis as Host;
  let module: unknown;
  try {
    module = host.EdgeRuntime === undefined && host.process?.getBuiltinModule?.(id);
  } catch {
    // The function is there but refuses the module: the caller falls back.
  }
  return typeof module === 'object' && module !== null ? module : undefined;
}
