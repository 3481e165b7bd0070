/**
 * One wait for the end of the event loop's turn, shared by every caller in it. A server under
 * load has several requests ready at once, and Node runs each one's synchronous work in its own
 * I/O callback: the session work of one request sits between Next's handling of the next, and
 * each request's store command goes out alone. Waiting for `setImmediate`, which runs once the
 * turn's ready I/O has been handled, lets the turn's requests do their session work back to back
 * and send their store commands together: the HTTP bench serves about 1.2 times the requests
 * (docs/performance.md). A request alone waits only for the callbacks already due.
 *
 * @packageDocumentation
 */

interface Host {
  EdgeRuntime?: unknown;
  process?: { getBuiltinModule?: (id: string) => unknown };
}

type Schedule = (callback: () => void) => unknown;

let found: Schedule | null | undefined;

/**
 * `node:timers`' `setImmediate`, not the global one: fake timers replace the global, and a
 * session must not wait for a test to advance them. `undefined` before Node 20.16 and on edge
 * runtimes, which are skipped outright: Next.js warns on any `process` member the edge lacks.
 */
function schedule(): Schedule | undefined {
  if (found === undefined) {
    const host = globalThis as Host;
    let timers: unknown;
    try {
      timers = host.EdgeRuntime === undefined && host.process?.getBuiltinModule?.('node:timers');
    } catch {
      // The function is there but refuses the module: nothing waits.
    }
    const setImmediate = (timers as { setImmediate?: unknown } | undefined)?.setImmediate;
    found = typeof setImmediate === 'function' ? (setImmediate as Schedule) : null;
  }
  return found ?? undefined;
}

let waiting: Array<() => void> = [];

function release(): void {
  const turn = waiting;
  waiting = [];
  for (const resolve of turn) resolve();
}

/**
 * Runs `work` once the event loop has handled the I/O that is ready now, with one `setImmediate`
 * for every caller in this turn; at once where there is no `setImmediate`.
 */
export function afterTurn<T>(work: () => Promise<T>): Promise<T> {
  const defer = schedule();
  if (defer === undefined) return work();
  const turn = new Promise<void>((resolve) => {
    if (waiting.push(resolve) === 1) defer(release);
  });
  return turn.then(work);
}
