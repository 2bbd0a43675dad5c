/**
 * The bounds every HTTP front end (Eureka, admin) puts on a request before any handler runs, so that no client —
 * slow, half-sent or oversized — holds memory or a connection for long. Node's own defaults (60 s for headers,
 * 300 s for a request, checked every 30 s) let a half-sent body sit for minutes.
 */
import type { ServerOptions, ServerResponse } from 'node:http';

/** The request line and headers together, at most (Node's default; beyond: 431). */
export const requestHeaderBytesMax = 16 * 1024;
/** The headers must have arrived within this (else 408 and the connection closed). */
export const requestHeadersTimeoutMs = 5_000;
/**
 * The whole request, body included, must have arrived within this (else 408 and the connection closed): a body
 * of 1 MiB needs 100 KiB/s. A half-sent body (2 GB announced, 1 MB sent, then nothing) is closed after this.
 */
export const requestBodyTimeoutMs = 10_000;
/** How often the server looks for requests past those limits. */
export const requestTimeoutsCheckMs = 1_000;

/**
 * For a request whose body is not read (refused, or not wanted): the connection closes once the answer is written,
 * so the rest of the body is neither parsed nor waited for. (A client still sending may see the close before it
 * reads the answer.)
 */
export function closeAfterAnswer(res: ServerResponse): void {
  res.shouldKeepAlive = false;
  res.once('finish', () => res.req.socket.destroy());
}

/** Options for `http.createServer` with the limits above. */
export const limitedServerOptions: ServerOptions = {
  maxHeaderSize: requestHeaderBytesMax,
  headersTimeout: requestHeadersTimeoutMs,
  requestTimeout: requestBodyTimeoutMs,
  connectionsCheckingInterval: requestTimeoutsCheckMs,
};

/**
 * A `clientError` handler (a request Node's parser refused, or one past the time limits): the status that says
 * why, then the connection closed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  const status =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  else socket.destroy();
}
