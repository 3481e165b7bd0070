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

import { nodeBuiltin } from './node-builtin.ts';

type Schedule = (callback: () => void) => unknown;

let found: Schedule | null | undefined;

/**
 * `node:timers`' `setImmediate`, not the global one: fake timers replace the global, and a
 * session must not wait for a test to advance them. `undefined` before Node 20.16 and on edge
 * runtimes (see `node-builtin.ts`).
 */
function schedule(): Schedule | undefined {
  if (found === undefined) {
    const timers = nodeBuiltin('node:timers') as { setImmediate?: unknown } | undefined;
    const setImmediate = timers?.setImmediate;
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
