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
  setImmediate?: (callback: () => void) => unknown;
}

const host = globalThis as Host;
/**
 * Taken at load, so fake timers installed later cannot hold a session back. Absent on edge
 * runtimes, where Next.js warns on any use of it, and where nothing is batched.
 */
const schedule =
  host.EdgeRuntime === undefined && typeof host.setImmediate === 'function'
    ? host.setImmediate.bind(globalThis)
    : undefined;

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
  if (schedule === undefined) return work();
  const turn = new Promise<void>((resolve) => {
    if (waiting.push(resolve) === 1) schedule(release);
  });
  return turn.then(work);
}
