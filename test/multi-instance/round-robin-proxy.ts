// A loopback reverse proxy that sends each request to the next backend in turn, preserving Host, cookies and headers.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const UPSTREAM_TIMEOUT_MS = 30_000;

interface ProxiedRequest {
  /** Index of the backend that served it. */
  backend: number;
  method: string;
  path: string;
  status: number;
}

export interface RoundRobinProxy {
  url: string;
  /** Served requests, in the order they were sent on. */
  log: ProxiedRequest[];
  setBackends(ports: number[]): void;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(): Promise<RoundRobinProxy> {
  let backends: number[] = [];
  let next = 0;
  const log: ProxiedRequest[] = [];

  function forward(req: IncomingMessage, res: ServerResponse) {
    if (backends.length === 0) {
      res.writeHead(503).end('no backends yet');
      return;
    }
    const backend = next % backends.length;
    next += 1;
    const entry: ProxiedRequest = { backend, method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'http://proxy').pathname, status: 0 };
    log.push(entry);
    // The Host header is passed on unchanged: the instances see the public (proxy) host, as behind a load balancer.
    const headers = { ...req.headers, connection: 'close' }; // one upstream connection per request: nothing lingers
    const upstream = request({ host: '127.0.0.1', port: backends[backend], method: req.method, path: req.url, headers, agent: false });
    upstream.setTimeout(UPSTREAM_TIMEOUT_MS, () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('response', (response) => {
      entry.status = response.statusCode ?? 0;
      res.writeHead(response.statusCode ?? 502, response.statusMessage, response.rawHeaders);
      response.pipe(res);
    });
    upstream.on('error', (error) => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${error.message}`);
    });
    req.pipe(upstream);
  }

  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    setBackends(ports) {
      backends = [...ports];
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
