import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of PostgreSQL that a test can cut. While `down`, new
 * connections are refused (closed at once) and existing ones are destroyed, as when a database
 * host disappears and its address answers with resets. While `blackholed`, existing connections
 * are destroyed and new ones are accepted and never answered, as when the host is unreachable and
 * a connection attempt hangs until the client's connect timeout. `holdNext` does that to the next
 * connection only, the others passing through.
 */
export interface TcpProxy {
  readonly port: number;
  down(): void;
  blackhole(): void;
  up(): void;
  /** The next connection accepted hangs (held, never answered) until `up`, `down` or `close`. */
  holdNext(): void;
  /** Connections accepted and held, never answered, now. */
  readonly held: number;
  close(): Promise<void>;
}

export async function tcpProxy(targetHost: string, targetPort: number, initiallyUp = true): Promise<TcpProxy> {
  let mode: 'up' | 'down' | 'blackhole' = initiallyUp ? 'up' : 'down';
  let holdOne = false;
  const sockets = new Set<Socket>();
  const held = new Set<Socket>();
  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    if (mode === 'down') {
      client.destroy();
      return;
    }
    if (mode === 'blackhole' || holdOne) {
      holdOne = false;
      held.add(client);
      client.on('close', () => held.delete(client));
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const cut = (set: Set<Socket>) => {
    for (const s of set) s.destroy();
  };
  return {
    port,
    get held() {
      return held.size;
    },
    down() {
      mode = 'down';
      cut(sockets);
      cut(held);
    },
    blackhole() {
      mode = 'blackhole';
      cut(sockets);
    },
    up() {
      mode = 'up';
      cut(held);
    },
    holdNext() {
      holdOne = true;
    },
    close() {
      mode = 'down';
      cut(sockets);
      cut(held);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A proxy in front of one database, and that database's connection string through it. */
export interface ProxiedDatabase extends TcpProxy {
  /** `url` with its host and port replaced by the proxy's: a pool given this goes through the proxy. */
  readonly url: string;
}

/**
 * The fault tests' one set-up: a `tcpProxy` in front of the server the connection string `url`
 * names, on loopback, and the same connection string pointed at the proxy (user, password,
 * database and parameters kept).
 */
export async function tcpProxyFor(url: string, initiallyUp = true): Promise<ProxiedDatabase> {
  const target = new URL(url);
  const proxy = await tcpProxy(target.hostname, Number(target.port || 5432), initiallyUp);
  const viaProxy = new URL(url);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  return Object.assign(proxy, { url: viaProxy.toString() });
}
