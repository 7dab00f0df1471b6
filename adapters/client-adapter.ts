// oidc-provider's Client model over a ClientStore, so clients registered by the CLI are found by the provider.
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
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
 * store, every other model goes to the engine's own adapter.
 */
export function oidcAdapterClass(clients: ClientStore, modelAdapter: (model: string) => Adapter): AdapterConstructor {
  return class OidcAdapter implements Adapter {
    readonly #target: Adapter;

    constructor(model: string) {
      this.#target = model === 'Client' ? createClientAdapter(clients) : modelAdapter(model);
    }

    upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      return this.#target.upsert(id, payload, expiresIn);
    }
    find(id: string) {
      return this.#target.find(id);
    }
    findByUid(uid: string) {
      return this.#target.findByUid(uid);
    }
    findByUserCode(userCode: string) {
      return this.#target.findByUserCode(userCode);
    }
    consume(id: string) {
      return this.#target.consume(id);
    }
    destroy(id: string) {
      return this.#target.destroy(id);
    }
    revokeByGrantId(grantId: string) {
      return this.#target.revokeByGrantId(grantId);
    }
  };
}
