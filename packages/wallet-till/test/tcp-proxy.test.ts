import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '../src/testing/index.js';

describe('the TCP proxy that stands for the till network', () => {
  let server: Server;
  let proxy: TcpProxy;
  let served = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      served += 1;
      res.end(String(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = await TcpProxy.start({ port: (server.address() as AddressInfo).port });
  });
  afterAll(async () => {
    await proxy.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const get = (timeoutMs = 2_000) => fetch(proxy.url, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.text());

  it('passes traffic, refuses it when cut, swallows it when black-holed, loses only the answers, and restores', async () => {
    expect(await get()).toBe('1');
    proxy.cut();
    await expect(get()).rejects.toThrow();
    expect(served).toBe(1);
    proxy.blackhole();
    await expect(get(300)).rejects.toThrow();
    expect(served).toBe(1);
    proxy.dropAnswers();
    await expect(get()).rejects.toThrow();
    expect(served).toBe(2); // the request arrived; its answer did not
    proxy.restore();
    expect(await get()).toBe('3');
  });
});
