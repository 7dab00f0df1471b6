// oidc-provider's Client model over a ClientStore, so clients registered by the CLI are found by the provider.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientStore } from './types.ts';

export function createClientAdapter(clients: ClientStore): Adapter {
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
