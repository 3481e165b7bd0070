/**
 * Cleanup that outlives the test process. A server a test starts must not outlive it, but a test
 * worker that vitest tears down, or that is killed, gets no `exit` event to clean up in. So a
 * detached shell waits for this process to go, then runs the cleanup; a test that cleans up
 * itself stops the watchdog first.
 *
 * @packageDocumentation
 */

import { spawn } from 'node:child_process';

/** A running watchdog. */
export interface Watchdog {
  /** Ends the watchdog without running its cleanup, once the test has cleaned up itself. */
  stop(): void;
}

/** Starts a watchdog that runs the shell command `cleanup` once this process is gone. */
export function startWatchdog(cleanup: string): Watchdog {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${cleanup}`;
  const shell = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  shell.unref();
  return {
    stop: () => {
      // The shell leads a process group of its own: end it together with its `sleep`.
      if (shell.pid === undefined || shell.exitCode !== null) return;
      try {
        process.kill(-shell.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
  };
}

/** `word` as one shell word. */
export function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
