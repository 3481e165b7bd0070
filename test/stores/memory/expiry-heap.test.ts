import { describe, expect, it } from 'vitest';
import { ExpiryHeap } from '../../../src/stores/memory/expiry-heap.ts';

function drain<T>(heap: ExpiryHeap<T>): number[] {
  const times: number[] = [];
  for (let entry = heap.pop(); entry !== undefined; entry = heap.pop()) times.push(entry.at);
  return times;
}

describe('ExpiryHeap', () => {
  it('pops entries earliest first, duplicates included', () => {
    const heap = new ExpiryHeap<string>();
    const times = Array.from({ length: 500 }, (_, i) => (i * 7919) % 211);
    for (const at of times) heap.push(at, `item ${at}`);
    expect(heap.size).toBe(500);
    expect(heap.peek()?.at).toBe(0);
    expect(drain(heap)).toEqual([...times].sort((a, b) => a - b));
    expect(heap.pop()).toBeUndefined();
  });

  it('keeps each item with the time it was pushed at', () => {
    const heap = new ExpiryHeap<string>();
    heap.push(20, 'later');
    heap.push(10, 'sooner');
    expect(heap.pop()).toEqual({ at: 10, item: 'sooner' });
    expect(heap.pop()).toEqual({ at: 20, item: 'later' });
  });

  it('rebuilds from a list of entries into a valid heap', () => {
    const heap = new ExpiryHeap<number>();
    heap.push(1, 1);
    const times = Array.from({ length: 300 }, (_, i) => (i * 104_729) % 997);
    heap.rebuild(times.map((at) => ({ at, item: at })));
    heap.push(500, 500);
    expect(drain(heap)).toEqual([...times, 500].sort((a, b) => a - b));
  });

  it('empties on clear', () => {
    const heap = new ExpiryHeap<number>();
    heap.push(1, 1);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
  });
});
