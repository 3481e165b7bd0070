import type { ReadField } from './session-fields.ts';
import type { SessionTtl, StoredSession } from './store-contract.ts';

/** One field as the handle remembers it for the rest of the request. */
interface SnapshotField {
  bytes: Uint8Array;
  /** Epoch ms on this process's clock, or `null` when the field lives as long as its session. */
  expiresAt: number | null;
  /** The field as read (decoded and checked), kept for the rest of the request. */
  decoded?: ReadField | Promise<ReadField>;
}

/**
 * What one request knows of its session: the fields read once from the store, kept current by
 * the request's own writes. Expiry is tracked locally, so a field that expires while a request
 * is still running is not returned either.
 */
export class SessionSnapshot {
  private readonly fields = new Map<string, SnapshotField>();
  /** Epoch ms, or `null` for a persistent session. */
  expiresAt: number | null = null;
  createdAt: number | null = null;
  /** The owner the session is bound to, or `null`. */
  owner: string | null = null;

  private constructor(private readonly now: () => number) {}

  /** A snapshot of a session that does not exist (yet). */
  static empty(now: () => number): SessionSnapshot {
    return new SessionSnapshot(now);
  }

  static fromStore(stored: StoredSession, now: () => number): SessionSnapshot {
    const snapshot = new SessionSnapshot(now);
    const at = now();
    snapshot.createdAt = stored.createdAt;
    snapshot.owner = stored.owner ?? null;
    snapshot.applyTtl(stored);
    for (const [field, { value, ttlMs }] of stored.fields) {
      snapshot.fields.set(field, { bytes: value, expiresAt: ttlMs === null ? null : at + ttlMs });
    }
    return snapshot;
  }

  /** Records the session's remaining life as reported by a store operation. */
  applyTtl(ttl: SessionTtl): void {
    this.expiresAt = ttl.ttlMs === null ? null : this.now() + ttl.ttlMs;
    this.createdAt ??= this.now();
  }

  /** The live field, or `undefined` once it or the session has expired. */
  field(name: string): SnapshotField | undefined {
    const entry = this.fields.get(name);
    if (!entry) return undefined;
    const now = this.now();
    if (this.expiresAt !== null && this.expiresAt <= now) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= now) {
      this.fields.delete(name);
      return undefined;
    }
    return entry;
  }

  /** Names of live fields. */
  names(): string[] {
    return [...this.fields.keys()].filter((name) => this.field(name) !== undefined);
  }

  /** Records a write. The value is decoded again from its bytes when read, as other requests see it. */
  write(name: string, bytes: Uint8Array, ttlMs: number | null): void {
    this.fields.set(name, { bytes, expiresAt: ttlMs === null ? null : this.now() + ttlMs });
  }

  delete(name: string): void {
    this.fields.delete(name);
  }
}
