import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** A fresh copy of the module, which looks `setImmediate` up on first use. */
async function freshModule() {
  vi.resetModules();
  return import('../../src/core/next-turn.ts');
}

describe('afterTurn', () => {
  it('runs the work of every caller in one turn after one setImmediate, in call order', async () => {
    const timers = process.getBuiltinModule('node:timers');
    const schedule = vi.spyOn(timers, 'setImmediate');
    const { afterTurn } = await freshModule();
    const order: string[] = [];
    const work = (name: string) => async () => {
      order.push(name);
      return name;
    };
    const results = Promise.all([afterTurn(work('a')), afterTurn(work('b')), afterTurn(work('c'))]);
    await Promise.resolve();
    expect(order).toEqual([]); // nothing runs in the caller's turn
    expect(await results).toEqual(['a', 'b', 'c']);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(schedule).toHaveBeenCalledTimes(1);
    // The next turn waits again.
    await afterTurn(work('d'));
    expect(schedule).toHaveBeenCalledTimes(2);
  });

  it('lets the I/O callbacks already due run first', async () => {
    const { afterTurn } = await freshModule();
    const order: string[] = [];
    setImmediate(() => order.push('ready before'));
    await afterTurn(async () => order.push('work'));
    expect(order).toEqual(['ready before', 'work']);
  });

  it('passes on what the work rejects with', async () => {
    const { afterTurn } = await freshModule();
    await expect(afterTurn(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
  });

  it('is not held back by fake timers, installed before it loaded or after', async () => {
    vi.useFakeTimers();
    const { afterTurn } = await freshModule();
    expect(await afterTurn(async () => 'done')).toBe('done');
    vi.useRealTimers();
    const later = await freshModule();
    await later.afterTurn(async () => 'first'); // finds setImmediate
    vi.useFakeTimers();
    expect(await later.afterTurn(async () => 'done')).toBe('done');
  });

  it('runs the work at once on an edge runtime, where there is no setImmediate to wait for', async () => {
    vi.stubGlobal('EdgeRuntime', 'edge-runtime');
    const { afterTurn } = await freshModule();
    let ran = false;
    const result = afterTurn(async () => {
      ran = true;
      return 1;
    });
    expect(ran).toBe(true);
    expect(await result).toBe(1);
  });
});
