// Entry point of the demo relying party (port 3001): client demo-rp of the provider, calling the demo API.
import { demoConfig } from '../config.ts';
import { createRpApp } from './app.ts';

const config = demoConfig();
const server = createRpApp(config).listen(config.rpPort, config.host, () => {
  console.log(`demo RP on ${config.rpUrl} (client ${config.clientId} of ${config.issuer}, calling ${config.apiUrl})`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(1), 3000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
