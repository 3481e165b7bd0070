import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../src/codecs/json-codec.ts';
import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { DEFAULTS, resolveSessionConfig } from '../../src/core/session-config.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { memoryStore } from '../support/memory-store.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

describe('resolveSessionConfig', () => {
  it('applies the documented defaults in milliseconds', () => {
    const resolved = resolveSessionConfig({ secret, store: memoryStore() });
    expect(resolved.idleMs).toBe(DEFAULTS.idleTimeout * 1000);
    expect(resolved.absoluteMs).toBeUndefined();
    expect(resolved.touchAfterMs).toBe(DEFAULTS.touchAfterCap * 1000);
    expect(resolved.codec).toBe(msgpackCodec);
    expect(resolved.maxValueBytes).toBe(DEFAULTS.maxValueBytes);
  });

  it('derives touchAfter from a short idle timeout', () => {
    const resolved = resolveSessionConfig({ secret, store: memoryStore(), idleTimeout: 600 });
    expect(resolved.touchAfterMs).toBe(60_000);
  });

  it('keeps per-field codecs', () => {
    const resolved = resolveSessionConfig<{ prefs: string }>({
      secret,
      store: memoryStore(),
      codecs: { prefs: jsonCodec },
    });
    expect(resolved.codecs.prefs).toBe(jsonCodec);
  });

  it('rejects a missing store and bad timeouts with messages that say what to pass', () => {
    expect(() =>
      resolveSessionConfig({ secret, store: undefined as unknown as SessionStore }),
    ).toThrow(/config.store is missing.*new MemoryStore\(\)/);
    expect(() => resolveSessionConfig({ secret, store: memoryStore(), idleTimeout: 0 })).toThrow(
      /idleTimeout must be a positive number of seconds \(got 0\)/,
    );
    expect(() =>
      resolveSessionConfig({ secret, store: memoryStore(), absoluteTimeout: Number.NaN }),
    ).toThrow(ConfigError);
    expect(() =>
      resolveSessionConfig({ secret, store: memoryStore(), maxValueBytes: 1.5 }),
    ).toThrow(/maxValueBytes/);
  });
});

describe('createSessionManager', () => {
  it('rejects a short secret at creation, naming the rule', () => {
    expect(() => createSessionManager({ secret: 'short', store: memoryStore() })).toThrow(
      /must be at least 32/,
    );
  });

  it('reads the cookie name it will look for from the resolved config', () => {
    const manager = createSessionManager({
      secret,
      store: memoryStore(),
      cookie: { name: 'sid', secure: true },
    });
    expect(manager.config.cookie.name).toBe('__Host-sid');
  });
});
