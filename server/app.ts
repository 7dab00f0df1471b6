// Assembles the provider with our pages: the one object the entry point and the tests start.
import type Provider from 'oidc-provider';
import type { Stores } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';
import { secureCookies } from '../config/cookies.ts';
import { cookieSealKeyring, totpKeyring } from '../config/keys.ts';
import { interactionMiddleware } from '../interactions/index.ts';
import { pageErrors } from './page-errors.ts';
import { createAssessor } from '../stepup/assessment.ts';
import { stepUpFlow } from '../stepup/flow.ts';
import { eventLifetime } from '../policy/ladder.ts';
import { stepUpChecker } from '../stepup/check.ts';
import { revokeAccountAccess } from './account-revocation.ts';
import { systemClock } from './clock.ts';
import type { Logger } from './logger.ts';
import { buildProvider } from './provider.ts';
import { createResourceRegistry, resourceRules } from './resource-registry.ts';
import { guardStores } from './guarded-stores.ts';
import { meteredStores, type Metrics } from './metrics.ts';
import { httpsOnly } from './https-only.ts';
import { requestLog } from './request-log.ts';
import { securityHeaders } from './security-headers.ts';
import { redirectLimit } from './redirect-limit.ts';
import { oauthStepUpParams } from './oauth-step-up-params.ts';
import { signoutRevokesOffline } from './signout-revocation.ts';

export interface AppDeps {
  config: AppConfig;
  stores: Stores;
  logger: Logger;
  /** Epoch seconds; injectable so tests can move the clock. */
  now?: () => number;
  /** Counts decisions and verifications (served by the entry point on METRICS_PORT). */
  metrics?: Metrics;
}

export function createApp({ config, stores: raw, logger, now = systemClock, metrics }: AppDeps): Provider {
  const given = metrics ? meteredStores(raw, metrics) : raw;
  // Every store call of the provider and our routes: unreachable or unwritable storage answers 503, never 500.
  const stores = guardStores(given, (cause) => logger.warn({ err: cause }, 'storage unavailable: answering 503 temporarily_unavailable'));
  // One registry cache for the provider (resource servers) and the assessment (their --min-acr rules).
  const registry = createResourceRegistry(stores.resources, config, now);
  const assess = createAssessor(stores, config.policy, () => resourceRules(registry));
  const check = stepUpChecker({ assess, stores, eventTtl: eventLifetime(config.policy.ladder), now });
  const provider = buildProvider({ config, stores, now, check, registry });
  provider.on('server_error', (ctx, error) => logger.error({ err: error, path: ctx.path }, 'provider server error'));
  provider.use(requestLog(logger, { trustRequestId: config.proxyHops > 0 }));
  provider.use(securityHeaders);
  if (secureCookies(config)) provider.use(httpsOnly(logger));
  provider.use(pageErrors(logger));
  provider.use(redirectLimit);
  provider.use(oauthStepUpParams);
  if (config.signoutRevokesOffline) provider.use(signoutRevokesOffline(provider, stores));
  provider.use(async (ctx, next) => {
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path === '/readyz') {
      // Ready only while storage answers: a load balancer stops sending sign-ins here otherwise.
      const ready = await stores.clients.get('readiness-probe').then(
        () => true,
        () => false,
      );
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'storage unavailable' };
      return;
    }
    await next();
  });
  const keyring = totpKeyring(config.keys);
  const revokeAccess = (accountId: string, keep?: string) => revokeAccountAccess({ provider, stores, now }, accountId, keep);
  const flow = stepUpFlow({ config, stores, assess, keyring, now, revokeAccess, metrics, logger });
  const deps = { provider, config, stores, assess, flow, revokeAccess, keyring, cookieKeyring: cookieSealKeyring(config.keys), now, logger };
  for (const middleware of interactionMiddleware(deps)) provider.use(middleware);
  return provider;
}
