// The resource servers operators register (cli resource add), as the provider reads them: cached briefly, so that a
// change applies to every instance within RESOURCE_CACHE_SECONDS without a restart, and checked against the keys and
// the ladder (start-up refuses a registration it cannot serve; a later one is answered invalid_target, never a 500).
import type { ResourceRecord, ResourceStore } from '../adapters/types.ts';
import { ConfigError, type AppConfig } from '../config/index.ts';
import { signingAlgorithms } from '../config/keys.ts';
import type { ScopeRule } from '../policy/types.ts';

/** How long a read of the registry is reused: the longest a `resource add` or `resource remove` takes to apply. */
export const RESOURCE_CACHE_SECONDS = 5;

export interface ResourceRegistry {
  /** Every registered resource the provider can serve, by indicator. */
  list(): Promise<ResourceRecord[]>;
  /** The registered resource with exactly this indicator, if the provider can serve it. */
  find(indicator: string): Promise<ResourceRecord | undefined>;
}

/** Why the provider cannot serve this registration with this configuration (undefined when it can). */
function unservable(resource: ResourceRecord, config: Pick<AppConfig, 'keys' | 'policy'>): string | undefined {
  // Opaque access tokens are stored, not signed: they need no key (whatever `alg` the record holds is unused).
  if (resource.format === 'jwt' && !signingAlgorithms(config.keys.jwks).has(resource.alg)) return `its access tokens are signed ${resource.alg}, and STEPUP_JWKS has no key for ${resource.alg}`;
  const known = config.policy.ladder.some((level) => level.acr === resource.minAcr || level.aliases.includes(resource.minAcr ?? ''));
  if (resource.minAcr !== undefined && !known) return `its minimum level ${resource.minAcr} is not on the policy's ladder (STEPUP_POLICY_FILE)`;
  return undefined;
}

export function createResourceRegistry(store: ResourceStore, config: Pick<AppConfig, 'keys' | 'policy'>, now: () => number): ResourceRegistry {
  let cached: { at: number; resources: Promise<ResourceRecord[]> } | undefined;
  const load = async () => (await store.list()).filter((resource) => unservable(resource, config) === undefined);

  async function list(): Promise<ResourceRecord[]> {
    const at = now();
    if (!cached || at - cached.at >= RESOURCE_CACHE_SECONDS || at < cached.at) {
      const resources = load();
      cached = { at, resources };
      // A failed read (storage unavailable) is not kept: the next request tries again.
      resources.catch(() => {
        if (cached?.resources === resources) cached = undefined;
      });
    }
    return cached.resources;
  }

  return {
    list,
    async find(indicator) {
      return (await list()).find((resource) => resource.indicator === indicator);
    },
  };
}

/** Start-up refuses registrations the provider could not serve, naming the setting to change (or the resource to fix). */
export async function checkRegisteredResources(store: ResourceStore, config: Pick<AppConfig, 'keys' | 'policy'>): Promise<void> {
  const problems = (await store.list()).flatMap((resource) => {
    const reason = unservable(resource, config);
    return reason ? [`resource ${resource.indicator}: ${reason}`] : [];
  });
  if (problems.length > 0) {
    throw new ConfigError(`${problems.join('; ')}. Add a key for it to STEPUP_JWKS (\`npm run cli -- keys generate\`), or re-register the resource (\`resource add --update ... --alg\`) or remove it`);
  }
}

/**
 * A resource registered with a minimum level, as the policy's scope rules express it: the step-up decision merges
 * these with `policy.scopeRules` so that a request naming the resource needs that level (the level's own maxAge).
 */
export async function resourceRules(registry: Pick<ResourceRegistry, 'list'>): Promise<ScopeRule[]> {
  return (await registry.list()).flatMap((resource) => (resource.minAcr === undefined ? [] : [{ resource: resource.indicator, acr: resource.minAcr }]));
}
