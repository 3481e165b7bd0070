import type { OutgoingCookie } from '../../src/core/cookie-options.ts';
import type { OpenOptions, Session } from '../../src/core/session.ts';
import type { SessionManager } from '../../src/core/session-manager.ts';

/**
 * Plays the browser's part for core tests: keeps the one session cookie the way a browser
 * would (replaced by each Set-Cookie, dropped by a removal) and sends it with each request.
 */
export class Browser<T extends object, F extends object> {
  cookie: string | undefined;
  /** Every cookie the server sent, in order. */
  readonly received: OutgoingCookie[] = [];

  constructor(private readonly manager: SessionManager<T, F>) {}

  /** Opens the session for one request carrying this browser's cookie. */
  request(options: Omit<OpenOptions, 'onCookie'> = {}): Session<T, F> {
    return this.manager.open(this.cookie, {
      ...options,
      onCookie: (cookie) => {
        this.received.push(cookie);
        this.cookie = cookie.attributes.maxAge === 0 ? undefined : cookie.value;
      },
    });
  }
}
