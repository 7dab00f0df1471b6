// Serves /metrics on its own port, so the public issuer never exposes operational data.
import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.ts';

export function startMetricsServer(metrics: Metrics, port: number, host: string): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') return void response.writeHead(404).end();
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => response.writeHead(500).end(),
    );
  }).listen(port, host);
}
