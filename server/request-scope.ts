// What lives exactly as long as one request, through AsyncLocalStorage: its id (on every log line, server/logger.ts)
// and the oidc-provider models it has read (read once per request, adapters/request-reads.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import { noModelReads, type ModelReads } from '../adapters/request-reads.ts';

interface RequestScope {
  requestId: string;
  modelReads: ModelReads;
}

const current = new AsyncLocalStorage<RequestScope>();

export function inRequestScope<T>(requestId: string, run: () => Promise<T>): Promise<T> {
  return current.run({ requestId, modelReads: noModelReads() }, run);
}

/** The id of the request being handled, if any: what the logger's mixin adds to each line. */
export function currentRequestId(): string | undefined {
  return current.getStore()?.requestId;
}

/** The models the request being handled has read; none outside a request (a CLI command, a timer): reads go to storage. */
export function currentModelReads(): ModelReads | undefined {
  return current.getStore()?.modelReads;
}
