// oidc-provider's Client model over a ClientStore, so clients registered by the CLI are found by the provider.
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { forwardingAdapterClass, type AroundAdapterCall } from './adapter-forwarder.ts';
import type { ClientStore } from './types.ts';

function createClientAdapter(clients: ClientStore): Adapter {
  return {
    async upsert(id, payload) {
      await clients.upsert({ ...payload, client_id: id });
    },
    async find(id) {
      return (await clients.get(id)) as AdapterPayload | undefined;
    },
    async findByUid() {
      return undefined;
    },
    async findByUserCode() {
      return undefined;
    },
    async consume() {},
    async destroy(id) {
      await clients.remove(id);
    },
    async revokeByGrantId() {},
  };
}

/**
 * The class oidc-provider instantiates once per model name: the Client model reads the client
 * store, every other model goes to the engine's own adapter; every call passes through `around`.
 */
export function oidcAdapterClass(clients: ClientStore, modelAdapter: (model: string) => Adapter, around?: AroundAdapterCall): AdapterConstructor {
  return forwardingAdapterClass((model) => (model === 'Client' ? createClientAdapter(clients) : modelAdapter(model)), around);
}
