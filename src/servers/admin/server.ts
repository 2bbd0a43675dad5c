/**
 * An AdminServer-style HTTP endpoint (ZooKeeper's Jetty AdminServer): `GET <commandUrl>/<name>` answers
 * pretty-printed JSON with the command's fields plus `"command"` and `"error": null`; `GET <commandUrl>` lists the
 * commands. The commands themselves are supplied by whoever starts it (src/node.ts), so the client-port server's
 * four-letter words can share them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientError, closeAfterAnswer, limitedServerOptions } from '../http-limits.js';
import type { NodeMetrics } from './metrics.js';

/** A command: its fields (without `command`/`error`). */
export type AdminCommand = () => Promise<Record<string, unknown>> | Record<string, unknown>;

export interface AdminServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default '/commands'. */
  readonly commandUrl?: string;
  /** Name → command; `aliases` maps other names onto these. */
  readonly commands: Readonly<Record<string, AdminCommand>>;
  readonly aliases?: Readonly<Record<string, string>>;
  /** How long one command may take before it is answered with an error. */
  readonly commandTimeoutMs?: number;
  /** Served as `/metrics` in Prometheus text format (src/servers/admin/metrics.ts). */
  readonly metrics?: NodeMetrics;
}

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Where the metrics page is (as ZooKeeper's PrometheusMetricsProvider serves it). */
export const metricsPath = '/metrics';

/** Concurrent connections to the admin port. */
export const adminConnectionsMax = 256;
const commandTimeoutMsDefault = 5_000;

function send(res: http.ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startAdminServer(o: AdminServerOptions): Promise<AdminServer> {
  const base = (o.commandUrl ?? '/commands').replace(/\/+$/, '');
  const timeoutMs = o.commandTimeoutMs ?? commandTimeoutMsDefault;
  const names = Object.keys(o.commands).sort();
  const server = http.createServer(limitedServerOptions, (req, res) => {
    // commands take no body: one sent is not read, and the connection closes after the answer
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) closeAfterAnswer(res);
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://admin').pathname).replace(/\/+$/, '');
    } catch {
      send(res, 400, { command: null, error: 'Bad URL' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { command: null, error: `Method ${req.method} not allowed` });
      return;
    }
    if (path === metricsPath && o.metrics !== undefined) {
      const m = o.metrics;
      m.text().then(
        (text) => {
          res.writeHead(200, { 'content-type': m.contentType, 'content-length': Buffer.byteLength(text) });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (e: unknown) => send(res, 500, { command: null, error: `metrics: ${e instanceof Error ? e.message : String(e)}` }),
      );
      return;
    }
    if (path === base || path === '') {
      send(res, 200, { commands: names, aliases: o.aliases ?? {}, command: null, error: null });
      return;
    }
    if (!path.startsWith(`${base}/`)) {
      send(res, 404, { command: null, error: `Unknown path; commands are under ${base}/` });
      return;
    }
    const asked = path.slice(base.length + 1);
    const name = o.aliases?.[asked] ?? asked;
    const cmd = Object.hasOwn(o.commands, name) ? o.commands[name] : undefined;
    if (cmd === undefined) {
      // ZooKeeper's AdminServer answers an unknown command with 200 and the error in the body.
      send(res, 200, { command: asked, error: `Unknown command: ${asked}` });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    Promise.race([Promise.resolve().then(cmd), timeout]).then(
      (fields) => send(res, 200, { ...fields, command: name, error: null }),
      (e: unknown) => send(res, 500, { command: name, error: e instanceof Error ? e.message : String(e) }),
    ).finally(() => clearTimeout(timer));
  });
  server.maxConnections = adminConnectionsMax;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
