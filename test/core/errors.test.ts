import { describe, expect, it } from 'vitest';
import { CodecError, ConfigError, RutsError, StoreError } from '../../src/core/errors.ts';
import { storeCall } from '../../src/core/store-call.ts';

/** A second instance of the module, as a bundler that loads ruts once per layer would make. */
const other = (await import(
  /* @vite-ignore */ `../../src/core/errors.ts?copy=${Date.now()}`
)) as typeof import('../../src/core/errors.ts');

describe('ruts errors', () => {
  it('are recognised by instanceof even when another copy of ruts made them', () => {
    expect(other.StoreError).not.toBe(StoreError);
    const error = new other.StoreError('set', new Error('connection reset'));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toBeInstanceOf(RutsError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CodecError);
    expect(new StoreError('get', 'x')).toBeInstanceOf(other.RutsError);
  });

  it('are not faked by a plain error that copies a code', () => {
    const impostor = Object.assign(new Error('x'), { code: 'RUTS_STORE' });
    expect(impostor).not.toBeInstanceOf(StoreError);
    expect(impostor).not.toBeInstanceOf(RutsError);
    expect(null).not.toBeInstanceOf(RutsError);
  });

  it('pass through storeCall unwrapped whichever copy made them', async () => {
    const inner = new other.ConfigError('bad');
    await expect(storeCall('set', () => Promise.reject(inner))).rejects.toBe(inner);
    const wrapped = await storeCall('set', () => Promise.reject(new Error('down'))).catch(
      (error: unknown) => error,
    );
    expect(wrapped).toBeInstanceOf(StoreError);
    expect(wrapped).not.toBeInstanceOf(ConfigError);
  });

  it('say what a failed store call leaves behind', () => {
    expect(new StoreError('getAll', 'down').message).toMatch(/nothing was read\.$/);
    expect(new StoreError('set', 'down').message).toMatch(/may or may not have been applied\.$/);
    expect(new StoreError('sweep', 'down').message).toMatch(/until a sweep succeeds\.$/);
  });
});
