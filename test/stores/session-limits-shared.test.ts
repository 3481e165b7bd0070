/**
 * Session limits where app processes share a store: four managers, each with its own store
 * instance and its own connections (as four app servers would have), serve the requests of one
 * browser. Racing writes of new fields spread over them fill the session to `maxFields` exactly,
 * because every store checks the limit on its server, not in the process.
 */

import { describe, expect, it } from 'vitest';
import {
  createSessionManager,
  type SessionManager,
  SessionTooLargeError,
} from '../../src/index.ts';
import { processStores } from '../support/process-stores.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const PROCESSES = 4;
const stores = processStores('limits-shared', PROCESSES);

describe('session limits across processes sharing a store', () => {
  for (const [name, store] of stores) {
    it(`${name}: 60 racing writes over ${PROCESSES} processes fill maxFields: 20 exactly`, async () => {
      const managers: SessionManager[] = Array.from({ length: PROCESSES }, (_, i) =>
        createSessionManager({ secret, store: store(i), maxFields: 20 }),
      );
      let cookie: string | undefined;
      const first = (managers[0] as SessionManager).open(undefined, {
        onCookie: (sent) => {
          cookie = sent.value;
        },
      });
      await first.set('first', 0);
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          (managers[i % PROCESSES] as SessionManager).open(cookie).set(`racer-${i}`, i),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(19);
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(SessionTooLargeError);
        }
      }
      for (const manager of managers) {
        expect(Object.keys(await manager.open(cookie).getAll())).toHaveLength(20);
      }
    });
  }
});
