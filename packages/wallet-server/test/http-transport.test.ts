import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerParserErrors } from '../src/errors.js';
import { harness } from './support/harness.js';

/** Sends raw bytes and returns what the server answered before closing the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(request);
  });
}

function parse(answer: string): { status: number; headers: string; body: any } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head.toLowerCase(), body: body ? JSON.parse(body) : null };
}

describe('the HTTP transport on a real socket', () => {
  // The app served as the binary serves it (@hono/node-server and the parser-error answers of server.ts).
  let server: { port: number; url: string; http: Server };
  let token: string;
  beforeAll(async () => {
    const h = await harness();
    const http = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server;
    });
    answerParserErrors(http);
    const { port } = http.address() as AddressInfo;
    server = { port, url: `http://127.0.0.1:${port}`, http };
    token = await h.token('transport');
  });
  afterAll(async () => {
    server.http.closeAllConnections();
    await new Promise((resolve) => server.http.close(resolve));
  });

  it('answers a 40 KB header with 431 problem+json HEADERS_TOO_LARGE (reproduction: was an empty body)', async () => {
    const answer = parse(await rawExchange(server.port, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`));
    expect([answer.status, answer.body.code, answer.body.status]).toEqual([431, 'HEADERS_TOO_LARGE', 431]);
    expect(answer.headers).toContain('content-type: application/problem+json');
  });

  it('answers a request the HTTP parser refuses with 400 problem+json', async () => {
    for (const request of ['NOT HTTP AT ALL\r\n\r\n', 'GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 'GET /\u0001 HTTP/1.1\r\n\r\n']) {
      const answer = parse(await rawExchange(server.port, request));
      expect([answer.status, answer.body.code]).toEqual([400, 'VALIDATION_ERROR']);
      expect(answer.headers).toContain('content-type: application/problem+json');
    }
  });

  it('closes the connection after any answer sent before the body was read (413, 415, 401, 404), so the next request of a keep-alive client is not lost (reproduction: ECONNRESET 6 of 6)', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (let i = 0; i < 3; i++) {
      const big = await fetch(`${server.url}/api/v1/wallets`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ currency: 'VND', pad: 'x'.repeat(2_000_000) }),
      });
      expect([big.status, big.headers.get('connection'), ((await big.json()) as { code: string }).code]).toEqual([413, 'close', 'PAYLOAD_TOO_LARGE']);
      expect((await fetch(`${server.url}/api/v1/wallets`, { headers })).status).toBe(200);
      const text = await fetch(`${server.url}/api/v1/wallets`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'text/plain' },
        body: 'y'.repeat(200_000),
      });
      expect([text.status, text.headers.get('connection'), ((await text.json()) as { code: string }).code]).toEqual([415, 'close', 'UNSUPPORTED_MEDIA_TYPE']);
      expect((await fetch(`${server.url}/api/v1/wallets`, { headers })).status).toBe(200);
    }
    // Answers given before the body was read for other reasons (no token, no such route) leave the
    // connection usable too: the next request on it is answered.
    for (const [path, auth, status] of [
      ['/api/v1/wallets', {}, 401],
      ['/api/v1/wallets/nothing/here/at/all', { authorization: `Bearer ${token}` }, 404],
    ] as const) {
      const refused = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'z'.repeat(500_000) }),
      });
      expect(refused.status).toBe(status);
      await refused.arrayBuffer();
      expect((await fetch(`${server.url}/api/v1/wallets`, { headers })).status).toBe(200);
    }
    // Nothing was created by the refused requests.
    expect(((await (await fetch(`${server.url}/api/v1/wallets`, { headers })).json()) as { items: unknown[] }).items).toEqual([]);
  });
});
