import { AsyncLocalStorage } from 'node:async_hooks';

// Next's request-storage modules look for this global as they load; the Next server sets it
// before loading app code, so tests must too, before anything imports `next/headers.js`.
(globalThis as { AsyncLocalStorage?: unknown }).AsyncLocalStorage ??= AsyncLocalStorage;
