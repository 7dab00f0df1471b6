// Serves /metrics on its own port, so the public issuer never exposes operational data.
import { createServer, type Server } from 'node:http';

/** What /metrics serves: one process's registry, or the sum over the workers (cluster-metrics.ts). */
export interface MetricsSource {
  metrics(): Promise<string>;
  contentType: string;
}

export function startMetricsServer(source: MetricsSource, port: number, host: string): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') return void response.writeHead(404).end();
    source.metrics().then(
      (body) => response.writeHead(200, { 'content-type': source.contentType }).end(body),
      // A worker that does not answer within 5 s (it is starting or dying): the scrape fails and is tried again.
      () => response.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable: a worker did not answer\n'),
    );
  }).listen(port, host);
}
