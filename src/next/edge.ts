/**
 * `ruts/next/edge`: what `middleware.ts` may import on the edge runtime. Only seal verification
 * lives here; sessions themselves need the Node runtime (`ruts/next`).
 *
 * @packageDocumentation
 * @module ruts/next/edge
 */

export type { CookieOptions } from '../core/cookie-options.ts';
export type { SecretInput } from '../core/cookie-seal.ts';
export { ConfigError, RutsError } from '../core/errors.ts';
export { createEdgeGuard, type EdgeGuard, type EdgeGuardOptions } from './edge-guard.ts';
export type { Guard, GuardOptions } from './guard-response.ts';
