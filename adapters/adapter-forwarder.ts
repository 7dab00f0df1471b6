// The one class that forwards oidc-provider's Adapter interface: each model's calls go to the adapter `target` gives for
// it, through `around` (the engines map their driver errors there, the provider's edge turns failures into OAuth errors).
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

type AdapterMethod = keyof Adapter;

/** Runs one forwarded call, knowing the model and the method: returns what the call returns, or throws its own error. */
export type AroundAdapterCall = <T>(model: string, method: AdapterMethod, call: () => Promise<T>) => Promise<T>;

const direct: AroundAdapterCall = (_model, _method, call) => call();

export function forwardingAdapterClass(target: (model: string) => Adapter, around: AroundAdapterCall = direct): AdapterConstructor {
  return class ForwardingAdapter implements Adapter {
    readonly #model: string;
    readonly #target: Adapter;

    constructor(model: string) {
      this.#model = model;
      this.#target = target(model);
    }

    upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      return around(this.#model, 'upsert', () => this.#target.upsert(id, payload, expiresIn));
    }
    find(id: string) {
      return around(this.#model, 'find', () => this.#target.find(id));
    }
    findByUid(uid: string) {
      return around(this.#model, 'findByUid', () => this.#target.findByUid(uid));
    }
    findByUserCode(userCode: string) {
      return around(this.#model, 'findByUserCode', () => this.#target.findByUserCode(userCode));
    }
    consume(id: string) {
      return around(this.#model, 'consume', () => this.#target.consume(id));
    }
    destroy(id: string) {
      return around(this.#model, 'destroy', () => this.#target.destroy(id));
    }
    revokeByGrantId(grantId: string) {
      return around(this.#model, 'revokeByGrantId', () => this.#target.revokeByGrantId(grantId));
    }
  };
}
