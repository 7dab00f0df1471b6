// Building and running AttemptWork: the operations a limiter yields, and the stepwise runner for stores without
// transactions (MongoDB, the tests' in-memory fakes), which issues each yielded list's operations together.
import type { AttemptOp, AttemptResult, AttemptState, AttemptStore, AttemptWork } from './types.ts';

export const attemptOp = {
  get: (key: string): AttemptOp => ({ op: 'get', key }),
  recordFailure: (key: string, at: number, expiresAt?: number): AttemptOp => ({ op: 'recordFailure', key, at, ...(expiresAt !== undefined && { expiresAt }) }),
  release: (key: string): AttemptOp => ({ op: 'release', key }),
  reset: (key: string): AttemptOp => ({ op: 'reset', key }),
} as const;

/** The single-operation calls of an AttemptStore, which the stepwise runner drives. */
export type AttemptOperations = Pick<AttemptStore, 'get' | 'recordFailure' | 'release' | 'reset'>;

/** Runs one operation through the store's own call. */
async function applyAttemptOp(store: AttemptOperations, op: AttemptOp): Promise<AttemptResult> {
  switch (op.op) {
    case 'get':
      return store.get(op.key);
    case 'recordFailure':
      return store.recordFailure(op.key, op.at, op.expiresAt);
    case 'release':
      await store.release(op.key);
      return undefined;
    case 'reset':
      await store.reset(op.key);
      return undefined;
  }
}

/**
 * Runs the work list by list: each list's operations are issued together and each is atomic on its own, nothing
 * more (no transaction). The limiters are written for exactly that: they re-check after every reservation.
 */
export async function runAttemptWorkStepwise<T>(store: AttemptOperations, work: AttemptWork<T>): Promise<T> {
  let step = work.next();
  while (!step.done) {
    const results = await Promise.all(step.value.map((op) => applyAttemptOp(store, op)));
    step = work.next(results);
  }
  return step.value;
}

/** A recordFailure's result: the store always returns the new state. */
export function recorded(result: AttemptResult): AttemptState {
  if (!result) throw new Error('recordFailure returned no state');
  return result;
}
