// A loopback TCP forwarder that can cut every connection and refuse new ones: a database that becomes unreachable.
import { connect, createServer, type Socket } from 'node:net';

export interface TcpCutter {
  port: number;
  /** Destroys every open connection and refuses new ones until restored. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpCutter(target: { host: string; port: number }): Promise<TcpCutter> {
  let open = true;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    async close() {
      open = false;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ForwardableUri {
  /** The server the URI names. */
  target: { host: string; port: number };
  /** The same URI pointed at 127.0.0.1:<port>, with a direct connection and a short server-selection timeout. */
  through(port: number): string;
}

/** How to send a MongoDB URI through a cutter, or undefined if it cannot be (mongodb+srv, several hosts, TLS). */
export function forwardableMongoUri(uri: string): ForwardableUri | undefined {
  const match = /^mongodb:\/\/(?:([^@/]*)@)?([^/?,]+)(\/[^?]*)?(?:\?(.*))?$/.exec(uri);
  if (!match) return undefined;
  const [, credentials, hostPort, path = '/', query = ''] = match;
  const params = new URLSearchParams(query);
  if (['tls', 'ssl'].some((name) => params.get(name) === 'true')) return undefined;
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(hostPort!);
  const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]] : hostPort!.split(':');
  params.set('directConnection', 'true');
  params.set('serverSelectionTimeoutMS', '2000');
  return {
    target: { host: host!, port: Number(port ?? 27017) },
    through: (local) => `mongodb://${credentials ? `${credentials}@` : ''}127.0.0.1:${local}${path}?${params}`,
  };
}
