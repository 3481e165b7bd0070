/**
 * Shared pieces of the store conformance suite: fixtures, byte comparison and TTL assertions.
 *
 * @packageDocumentation
 */

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { SessionStore, StoredSession, WriteOptions } from '../../src/core/store-contract.ts';

/** What a store's setup hands the suite. */
export interface ConformanceContext {
  readonly store: SessionStore;
  /** Runs once after the suite, to close what setup opened. */
  readonly teardown?: () => Promise<void>;
}

/** Long enough that nothing expires during a test unless the test means it to. */
export const IDLE = 60_000;
/** A TTL meant to run out during a test. */
export const SHORT = 400;
/** Outlasts {@link SHORT} with room for latency and timer drift. */
export const WAIT = 2 * SHORT;
/** How far below the asked-for TTL a reported TTL may be, after round trips to a real server. */
const LATENCY = 1_500;

/** Write options for a write that creates the session if needed. */
export function opts(extra: Partial<WriteOptions> = {}): WriteOptions {
  return { create: true, idleMs: IDLE, ...extra };
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Hex makes byte comparisons exact, independent of Buffer vs Uint8Array, and readable in diffs. */
export function hex(value: Uint8Array | undefined): string | undefined {
  return value && Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}

/** Keys have the production shape, `<family>.<base64url SHA-256>`. */
export function newKey(sibling?: string): string {
  // Keys look like the core's: `<family>.<hash>`. A sibling shares the family, as both keys of
  // a rename do, so sharded stores (Redis Cluster) can place them in one shard.
  const family = sibling?.split('.')[0] ?? randomBytes(6).toString('base64url');
  return `${family}.${createHash('sha256').update(randomUUID()).digest('base64url')}`;
}

/** Fresh keys of one family, for operations that span keys (rename). */
export function siblingKeys(count: 2): [string, string];
export function siblingKeys(count: 3): [string, string, string];
export function siblingKeys(count: number): string[] {
  const first = newKey();
  return [first, ...Array.from({ length: count - 1 }, () => newKey(first))];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function names(session: StoredSession | undefined): string[] {
  return session ? [...session.fields.keys()].sort() : [];
}

/** A reported TTL is a number no larger than asked for, and not much smaller. */
export function expectTtl(ttl: number | null | undefined, asked: number): void {
  expect(ttl).toBeTypeOf('number');
  expect(ttl).toBeLessThanOrEqual(asked);
  expect(ttl).toBeGreaterThan(asked - LATENCY);
}
