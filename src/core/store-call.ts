import { RutsError, StoreError } from './errors.ts';

/**
 * Runs one store call, wrapping a driver's error in a {@link StoreError} that names the
 * operation and keeps the original as `cause`. Errors ruts raised itself pass through.
 */
export async function storeCall<R>(operation: string, call: () => Promise<R>): Promise<R> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof RutsError ? error : new StoreError(operation, error);
  }
}
