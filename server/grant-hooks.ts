// oidc-provider with a step of ours before a grant type's handler: the built-in handlers are registered while the
// Provider is constructed (through registerGrantType), so this subclass wraps them as they are registered. The step
// runs after client authentication and parameter parsing, and before the handler consumes the code or refresh token.
import Provider, { type Configuration, type KoaContextWithOIDC, type TokenEndpointGrantContext } from 'oidc-provider';

/** Runs before the grant's handler; throwing an oidc-provider error answers it (the code or token stays unused). */
type GrantHook = (ctx: KoaContextWithOIDC) => Promise<void>;

export type GrantHooks = Partial<Record<string, GrantHook>>;

type Register = Provider['registerGrantType'];

/** Filled after the constructor returns: the built-in handlers are wrapped during it, and look their hook up per request. */
const hooksOf = new WeakMap<Provider, GrantHooks>();

export class HookedProvider extends Provider {
  constructor(issuer: string, configuration: Configuration, hooks: GrantHooks) {
    super(issuer, configuration);
    hooksOf.set(this, hooks);
  }

  override registerGrantType<Params extends object>(
    name: string,
    handler: (ctx: TokenEndpointGrantContext<Params>) => void | Promise<void>,
    params?: Parameters<Register>[2],
    duplicates?: Parameters<Register>[3],
  ): void {
    const wrapped = async (ctx: TokenEndpointGrantContext<Params>) => {
      await hooksOf.get(this)?.[name]?.(ctx);
      await handler(ctx);
    };
    super.registerGrantType(name, wrapped, params, duplicates);
  }
}
