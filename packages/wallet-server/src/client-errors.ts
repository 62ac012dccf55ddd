import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { problem, type Problem } from './problem.js';

/**
 * Requests that never reach the app because Node's HTTP parser refused them: headers over the
 * limit (431) or a request that is not HTTP (400). Node would answer these with a bare status
 * line and no body; every error of this service is problem+json, these included. The connection
 * is closed after the answer: the parser cannot find where the next request would start.
 */
export function answerParserErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // The client went away, or an answer is already on its way: nothing to say.
    if (err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
      socket.destroy();
      return;
    }
    const body: Problem =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? problem('HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts')
        : problem('VALIDATION_ERROR', 'The request is not valid HTTP');
    const json = JSON.stringify(body);
    const reason = body.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
    socket.end(
      `HTTP/1.1 ${body.status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  });
}
