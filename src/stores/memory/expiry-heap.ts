/**
 * A binary min-heap of items keyed by an expiry time, for the memory store's purging.
 *
 * It knows nothing about sessions: the store decides whether a popped entry is still current,
 * which is what lets it leave stale entries in place instead of searching for them.
 *
 * @packageDocumentation
 */

/** One heap entry: an item and the time it was indexed at. */
export interface ExpiryEntry<T> {
  readonly at: number;
  readonly item: T;
}

/** A min-heap ordered by {@link ExpiryEntry.at}, earliest first. */
export class ExpiryHeap<T> {
  #entries: ExpiryEntry<T>[] = [];

  /** How many entries the heap holds, stale ones included. */
  get size(): number {
    return this.#entries.length;
  }

  /** The earliest entry, without removing it. */
  peek(): ExpiryEntry<T> | undefined {
    return this.#entries[0];
  }

  /** Adds an entry in O(log n). */
  push(at: number, item: T): void {
    this.#entries.push({ at, item });
    this.#siftUp(this.#entries.length - 1);
  }

  /** Removes and returns the earliest entry in O(log n). */
  pop(): ExpiryEntry<T> | undefined {
    const entries = this.#entries;
    const top = entries[0];
    const last = entries.pop();
    if (top !== undefined && last !== undefined && entries.length > 0) {
      entries[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  /** Replaces every entry in O(n), which is how the store drops stale entries in bulk. */
  rebuild(entries: Iterable<ExpiryEntry<T>>): void {
    this.#entries = Array.from(entries);
    for (let i = (this.#entries.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  clear(): void {
    this.#entries = [];
  }

  #siftUp(index: number): void {
    const entries = this.#entries;
    const entry = entries[index] as ExpiryEntry<T>;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = entries[parentIndex] as ExpiryEntry<T>;
      if (parent.at <= entry.at) break;
      entries[i] = parent;
      i = parentIndex;
    }
    entries[i] = entry;
  }

  #siftDown(index: number): void {
    const entries = this.#entries;
    const length = entries.length;
    const entry = entries[index] as ExpiryEntry<T>;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      const leftEntry = entries[left] as ExpiryEntry<T>;
      const rightEntry = entries[right];
      const child = rightEntry !== undefined && rightEntry.at < leftEntry.at ? right : left;
      const childEntry = entries[child] as ExpiryEntry<T>;
      if (childEntry.at >= entry.at) break;
      entries[i] = childEntry;
      i = child;
    }
    entries[i] = entry;
  }
}
