/**
 * The failure lab's HTTP server (node:http, no framework): the dashboard page at `/lab` (files under
 * src/lab/ui, copied into dist by the build), its event stream at `/lab/api/stream` (Server-Sent Events,
 * stream.ts), what is being shown at `/lab/api/meta`, and, for a live cluster, faults (`POST /lab/api/fault` with a
 * FaultSpec) and scenarios (`GET /lab/api/scenarios`, `POST /lab/api/scenario`).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FaultSpec } from '../../lab/faults.js';
import { answerClientError, closeAfterAnswer, limitedServerOptions } from '../http-limits.js';
import { LabStream } from './stream.js';

/** A fault or scenario request body at most (a FaultSpec is a few hundred bytes). */
export const labBodyBytesMax = 16 * 1024;
/** Concurrent connections to the lab port (stream clients are bounded apart, in stream.ts). */
export const labConnectionsMax = 64;

/** Where the page's files are (src/lab/ui in the source tree, dist/src/lab/ui once built). */
export const labUiDir = fileURLToPath(new URL('../../lab/ui/', import.meta.url));
const uiFiles: Readonly<Record<string, string>> = { 'index.html': 'text/html; charset=utf-8', 'lab.js': 'text/javascript; charset=utf-8', 'lab.css': 'text/css; charset=utf-8' };

/** What the page is showing: shown in its header and used to lay out its panels. */
export interface LabMeta {
  readonly mode: 'live' | 'recorded';
  readonly runtime: string;
  readonly nodes: readonly string[];
  /** Wall-clock ms at t = 0. */
  readonly startedAt: number;
  readonly title: string;
  /** Faults the buttons may post (live only). */
  readonly faults: boolean;
  readonly scenarios: readonly string[];
  readonly verdict?: unknown;
}

export interface LabServerOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly stream: LabStream;
  readonly meta: () => LabMeta;
  /** Carries out a fault (live only); a rejection is answered 400 with its message. */
  readonly fault?: (spec: FaultSpec) => Promise<void>;
  /** Starts a named scenario (live only). */
  readonly scenario?: (name: string) => Promise<void>;
}

export interface LabServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** The body of a POST, at most `labBodyBytesMax`, parsed as JSON; an Error in words otherwise. */
function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > labBodyBytesMax) return reject(new Error(`body over ${labBodyBytesMax} bytes`));
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > labBodyBytesMax) {
        req.removeAllListeners('data');
        reject(new Error(`body over ${labBodyBytesMax} bytes`));
        return;
      }
      parts.push(b);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch {
        reject(new Error('body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

const faultNames: ReadonlySet<string> = new Set(['kill', 'restart', 'pause', 'resume', 'corrupt', 'partition', 'cut', 'heal', 'slow', 'drop', 'duplicate', 'reorder', 'clock', 'diskStall', 'diskSlow']);

/** A FaultSpec's shape, checked before it reaches the injector (which checks targets against the cluster). */
export function checkFaultSpec(x: unknown): FaultSpec {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Error('a fault is a JSON object like {"fault":"kill","target":"leader"}');
  const f = (x as { fault?: unknown }).fault;
  if (typeof f !== 'string' || !faultNames.has(f)) throw new Error(`unknown fault '${String(f)}' (one of ${[...faultNames].join(', ')})`);
  for (const [k, v] of Object.entries(x)) {
    if (['target', 'from', 'to', 'shape'].includes(k) && typeof v !== 'string') throw new Error(`${k} must be a string`);
    if (['ratio', 'delayMs', 'offsetMs', 'driftPpm', 'durationMs'].includes(k) && (typeof v !== 'number' || !Number.isFinite(v) || v < (k === 'offsetMs' ? -3_600_000 : 0) || v > (k === 'ratio' ? 1 : 3_600_000)))
      throw new Error(`${k} out of range`);
    if (k === 'groups' && !(Array.isArray(v) && v.every((g) => Array.isArray(g) && g.every((n) => typeof n === 'string')))) throw new Error('groups must be lists of node names or roles');
  }
  return x as FaultSpec;
}

export async function startLabServer(o: LabServerOptions): Promise<LabServer> {
  const host = o.host ?? '127.0.0.1';
  const server = http.createServer(limitedServerOptions, (req, res) => {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://lab').pathname;
    } catch {
      return json(res, 400, { error: 'bad URL' });
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) closeAfterAnswer(res);
      if (path === '/' || path === '/lab') {
        res.writeHead(302, { location: '/lab/' });
        return res.end();
      }
      if (path === '/lab/api/stream') {
        const last = req.headers['last-event-id'];
        return o.stream.serve(res, typeof last === 'string' ? last : undefined);
      }
      if (path === '/lab/api/meta') return json(res, 200, o.meta());
      if (path === '/lab/api/scenarios') return json(res, 200, o.meta().scenarios);
      const file = path === '/lab/' ? 'index.html' : path.startsWith('/lab/') ? path.slice(5) : '';
      const type = uiFiles[file];
      if (type === undefined) return json(res, 404, { error: `no ${path}` });
      const body = readFileSync(labUiDir + file);
      res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache' });
      return res.end(body);
    }
    if (req.method === 'POST' && (path === '/lab/api/fault' || path === '/lab/api/scenario')) {
      readJson(req).then(
        async (body) => {
          try {
            if (path === '/lab/api/fault') {
              if (o.fault === undefined) return json(res, 409, { error: 'a recorded run takes no faults' });
              const spec = checkFaultSpec(body);
              await o.fault(spec);
              return json(res, 200, { ok: true, fault: spec });
            }
            const name = (body as { name?: unknown } | null)?.name;
            if (typeof name !== 'string') return json(res, 400, { error: 'a scenario request is {"name": "..."}' });
            if (o.scenario === undefined) return json(res, 409, { error: 'no scenarios here' });
            await o.scenario(name);
            return json(res, 200, { ok: true, scenario: name });
          } catch (e) {
            return json(res, 400, { error: (e as Error).message });
          }
        },
        (e: Error) => {
          closeAfterAnswer(res);
          json(res, e.message.startsWith('body over') ? 413 : 400, { error: e.message });
        },
      );
      return;
    }
    closeAfterAnswer(res);
    json(res, 405, { error: `${req.method} ${path} not allowed` });
  });
  server.maxConnections = labConnectionsMax;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}/lab`,
    async close() {
      o.stream.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
