// Entry point: validate configuration and runtime, open storage, seed the demo in development, listen.
import { loadConfig, ConfigError } from '../config/index.ts';
import { totpKeyring } from '../config/keys.ts';
import { checkRuntime } from '../config/runtime.ts';
import { createApp } from './app.ts';
import { createMetrics } from './metrics.ts';
import { startMetricsServer } from './metrics-server.ts';
import { systemClock } from './clock.ts';
import { hasDemoData, seedDemo } from './demo.ts';
import { createLogger } from './logger.ts';
import { openStores } from './storage.ts';

async function main() {
  const config = await loadConfig();
  const logger = createLogger(config.logLevel);
  const runtime = checkRuntime(process.version, config.production);
  if (runtime.warning) logger.warn(runtime.warning);
  if (!runtime.ok) process.exit(1);

  const stores = await openStores(config);
  if (config.production && (await hasDemoData(stores))) {
    throw new ConfigError('the store holds the demo account or client, whose credentials are published; remove them before running in production');
  }
  if (config.keys.generated) logger.warn({ dataDir: config.dataDir }, 'using development keys generated in the data directory');
  if (config.demo) {
    const demo = await seedDemo(stores, { issuer: config.issuer, keyring: totpKeyring(config.keys), password: config.password, now: systemClock() });
    logger.info(
      { username: demo.username, client_id: demo.clientId, redirect_uris: demo.redirectUris, totp_uri: demo.totpUri },
      `demo seeded: sign in as "${demo.username}" / "${demo.password}"; client "${demo.clientId}" / "${demo.clientSecret}"; TOTP secret ${demo.totpSecret}`,
    );
  }

  const metrics = createMetrics();
  const provider = createApp({ config, stores, logger, metrics });
  const metricsServer = config.metricsPort ? startMetricsServer(metrics, config.metricsPort, config.host) : undefined;
  if (metricsServer) logger.info({ metrics: `http://${config.host}:${config.metricsPort}/metrics` }, 'metrics listening');
  const server = provider.listen(config.port, config.host, () => {
    logger.info({ issuer: config.issuer, discovery: `${config.issuer}/.well-known/openid-configuration` }, 'step-up provider listening');
  });
  const stop = () => {
    logger.info('shutting down');
    metricsServer?.close();
    // In-flight requests finish; the process exits when they have, or after 5 s.
    server.close(() => void stores.close().then(() => process.exit(0)));
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
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
