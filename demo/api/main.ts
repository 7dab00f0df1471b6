// Entry point of the demo API (port 3002): a guard that learns the ladder and keys from the provider's discovery.
import { createGuard } from 'stepup-oidc/resource-server';
import { demoConfig } from '../config.ts';
import { createApiApp } from './app.ts';

const config = demoConfig();
// The API's resource indicator is its own URL: the provider puts it in `aud` (demo/main.ts registers it: `cli resource add`).
// DPoP proofs (RFC 9449) name the URL the client called (`htu`): the API's own origin, not the Host header the client chose.
// ES256 only: what openid-client makes DPoP keys with by default, and the one algorithm the demo needs.
const guard = createGuard({ issuer: config.issuer, audience: config.apiUrl, origin: config.apiUrl, dpop: { algorithms: ['ES256'] } });
const app = createApiApp({ guard, transfer: config.transfer });
app.on('error', (error: Error) => console.error('demo api error:', error.message));

const server = app.listen(config.apiPort, config.host, () => {
  console.log(
    `demo API on ${config.apiUrl}: GET /balance needs aal1; POST /transfer needs ${config.transfer.acr} within ${config.transfer.maxAge} s and a DPoP-bound token approving that payment, once`,
  );
});

// The ladder comes from the provider: check the transfer requirement against it as soon as the provider answers.
void (async () => {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    try {
      const ladder = await guard.ready();
      if (!ladder.some((level) => level.acr === config.transfer.acr || level.aliases.includes(config.transfer.acr))) {
        console.error(`DEMO_TRANSFER_ACR=${config.transfer.acr} is not on the provider's ladder (${ladder.map((level) => level.acr).join(' ')})`);
        process.exit(78);
      }
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  console.error(`the provider at ${config.issuer} did not answer within 60 s`);
})();

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(1), 3000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
