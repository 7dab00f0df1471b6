// Entry point: validate configuration and runtime, open storage (migrations run here, once), seed the demo in
// development, then serve: in this process (STEPUP_WORKERS=1), or in worker processes under a cluster primary.
import cluster from 'node:cluster';
import { loadConfig, ConfigError, type AppConfig } from '../config/index.ts';
import { totpKeyring } from '../config/keys.ts';
import { checkRuntime } from '../config/runtime.ts';
import { envSchema } from '../config/settings.ts';
import type { Stores } from '../adapters/types.ts';
import { createApp } from './app.ts';
import { drainOnStop } from './cluster-drain.ts';
import { answerPrimaryMetrics } from './cluster-metrics.ts';
import { runPrimary, workerCount } from './cluster-primary.ts';
import { openPreparedStores } from './cluster-stores.ts';
import { createMetrics } from './metrics.ts';
import { startMetricsServer } from './metrics-server.ts';
import { systemClock } from './clock.ts';
import { hasDemoData, seedDemo } from './demo.ts';
import { checkRegisteredResources } from './resource-registry.ts';
import { createLogger, type Logger } from './logger.ts';
import { openStores } from './storage.ts';

async function main() {
  const config = await loadConfig();
  const logger = createLogger(config.logLevel);
  // A worker: the primary validated everything, ran the migrations and seeded the demo before forking it.
  if (cluster.isWorker) return serve(config, logger, await openPreparedStores(config.storage));

  const workers = workerCount(envSchema.parse(process.env).STEPUP_WORKERS);
  // With workers, every line of this process says it is the primary.
  const log = workers > 1 ? logger.child({ role: 'primary' }) : logger;
  const runtime = checkRuntime(process.version, config.production);
  if (runtime.warning) log.warn(runtime.warning);
  if (!runtime.ok) process.exit(1);
  const stores = await prepareStores(config, log);
  if (workers === 1) return serve(config, log, stores);

  // The primary holds no store while it supervises: only the workers read and write.
  await stores.close();
  log.info({ workers }, 'starting the workers');
  runPrimary({ workers, logger: log, metrics: config.metricsPort ? { port: config.metricsPort, host: config.host } : undefined, onListening: () => announce(config, log) });
  if (config.metricsPort) log.info({ metrics: `http://${config.host}:${config.metricsPort}/metrics` }, 'metrics of all workers listening');
}

/** Opens the storage (applying SQLite migrations, or creating MongoDB indexes in development) and seeds the demo. */
async function prepareStores(config: AppConfig, logger: Logger): Promise<Stores> {
  const stores = await openStores(config);
  if (config.production && (await hasDemoData(stores))) {
    await stores.close();
    throw new ConfigError('the store holds the demo account or client, whose credentials are published; remove them before running in production');
  }
  if (config.keys.generated) logger.warn({ dataDir: config.dataDir }, 'using development keys generated in the data directory');
  if (config.demo) {
    const demo = await seedDemo(stores, {
      issuer: config.issuer,
      keyring: totpKeyring(config.keys),
      password: config.password,
      now: systemClock(),
      operationTypes: Object.keys(config.policy.operations),
    });
    logger.info(
      { username: demo.username, client_id: demo.clientId, redirect_uris: demo.redirectUris, totp_uri: demo.totpUri },
      `demo seeded: sign in as "${demo.username}" / "${demo.password}"; client "${demo.clientId}" / "${demo.clientSecret}"; TOTP secret ${demo.totpSecret}`,
    );
  }
  // A registered resource whose signing algorithm has no key in STEPUP_JWKS (or whose level left the ladder) cannot be served.
  await checkRegisteredResources(stores.resources, config).catch(async (error: unknown) => {
    await stores.close();
    throw error;
  });
  return stores;
}

/** Serves the provider on PORT in this process, until SIGTERM or SIGINT (or the primary's request) drains it. */
function serve(config: AppConfig, logger: Logger, stores: Stores): void {
  const metrics = createMetrics();
  // In a worker the primary serves METRICS_PORT, summing what each worker answers.
  if (cluster.isWorker) answerPrimaryMetrics(metrics.registry);
  const metricsServer = config.metricsPort && !cluster.isWorker ? startMetricsServer(metrics.registry, config.metricsPort, config.host) : undefined;
  if (metricsServer) {
    logger.info({ metrics: `http://${config.host}:${config.metricsPort}/metrics` }, 'metrics listening');
    metricsServer.on('error', (error) => {
      logger.fatal({ err: error, port: config.metricsPort, host: config.host }, 'cannot serve metrics');
      process.exit(1);
    });
  }
  const provider = createApp({ config, stores, logger, metrics });
  const server = provider.listen(config.port, config.host, () => {
    if (!cluster.isWorker) announce(config, logger);
  });
  server.on('error', (error) => {
    logger.fatal({ err: error, port: config.port, host: config.host }, 'cannot listen');
    process.exit(1);
  });
  drainOnStop({
    server,
    logger,
    close: async () => {
      metricsServer?.close();
      await stores.close();
    },
  });
}

function announce(config: AppConfig, logger: Logger): void {
  logger.info({ issuer: config.issuer, discovery: `${config.issuer}/.well-known/openid-configuration` }, 'step-up provider listening');
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(`configuration error: ${error.message}`);
    process.exit(78);
  }
  console.error(`cannot start: ${(error as Error).message}`);
  if (process.env.LOG_LEVEL === 'debug') console.error(error);
  process.exit(1);
});
