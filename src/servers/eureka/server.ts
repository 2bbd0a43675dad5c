/**
 * The Eureka 1.x REST front end (node:http). A thin layer: it decodes requests, asks the local registry actor,
 * and encodes the answer in Eureka's shapes. Routes `/{ctx}/{version}/...`, `/{version}/...` (so `/eureka/v2/*`,
 * `/eureka/*` and `/v2/*`), trailing slashes tolerated. JSON iff `Accept` contains `json`, else XML; gzip when
 * `Accept-Encoding` has it (never 406); gzip request bodies accepted. No client bytes can crash the node: every
 * bad input is a 4xx with a plain-text reason.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip, gzipSync } from 'node:zlib';
import type { ReadKey, RegistryReply, RegistryRequest } from '../../core/registry/messages.js';
import type { InstanceStatus, ReplicationItem } from '../../core/registry/types.js';
import { defaultRegistryConfig, parseStatus } from '../../core/registry/types.js';
import { validateRegistration } from '../../core/registry/validate.js';
import {
  decodeInstance,
  decodeReplicationList,
  encodeInstanceJson,
  encodeInstanceXml,
  encodeReplicationResponse,
  instanceJsonObject,
  replicationBodyBytesMax,
  requestBodyBytesMax,
} from '../../wire/eureka/codec.js';
import { answerClientError, closeAfterAnswer, limitedServerOptions } from '../http-limits.js';
import type { CacheableKey, Format } from './cache.js';
import { ResponseCache, gzipOf } from './cache.js';
import type { Gateway } from './gateway.js';

/** Concurrent connections one Eureka server accepts. */
export const connectionsMax = 10_000;
/** URL length accepted. */
export const urlLengthMax = 8_192;

export interface EurekaServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  readonly gateway: Gateway;
  /** The local registry actor, e.g. `n1/registry`. */
  readonly registryAddress: string;
  /** Context path segments accepted before the version segment (default ['eureka']). */
  readonly contexts?: readonly string[];
  readonly askTimeoutMs?: number;
  readonly responseCacheUpdateIntervalMs?: number;
  readonly responseCacheAutoExpirationMs?: number;
  readonly useReadOnlyResponseCache?: boolean;
  /** Told of every request answered: `METHOD resource` (apps, instances, vips, …) and its latency (ms). */
  readonly onRequest?: (op: string, latencyMs: number) => void;
}

export interface EurekaServer {
  readonly port: number;
  readonly cache: ResponseCache;
  close(): Promise<void>;
}

const resources = new Set(['apps', 'instances', 'vips', 'svips', 'peerreplication', 'asg', 'status', 'serverinfo']);

/** The resource a request URL names, for metrics labels (one of `resources`, else `other`). */
function resourceOf(url: string | undefined): string {
  for (const seg of (url ?? '').split('?')[0]!.split('/')) if (resources.has(seg)) return seg;
  return 'other';
}

class HttpError {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {}
}

/**
 * Reads a request body of at most `bytesMax` (after gunzip too): a larger `content-length` is refused (413) before a
 * byte of the body is read, and a body that grows past the bound stops being read at once (the connection is closed
 * after the answer, see `failed`). A body that stops arriving is closed by the server's `requestBodyTimeoutMs`.
 */
function readBody(req: IncomingMessage, bytesMax: number): Promise<string> {
  const tooLarge = (): HttpError => new HttpError(413, `Request body larger than ${bytesMax} bytes`);
  const announced = Number(req.headers['content-length'] ?? 0);
  if (announced > bytesMax) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (e: HttpError): void => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
      req.pause();
      reject(e);
    };
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > bytesMax) return fail(tooLarge());
      chunks.push(c);
    });
    req.on('error', (e) => fail(new HttpError(400, `Bad request body: ${e.message}`)));
    req.on('end', () => {
      if (failed) return;
      const buf = Buffer.concat(chunks);
      const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
      if (enc.includes('gzip')) {
        gunzip(buf, { maxOutputLength: bytesMax }, (err, out) => {
          if (err) reject((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? tooLarge() : new HttpError(400, `Bad gzip request body: ${err.message}`));
          else resolve(out.toString('utf8'));
        });
      } else resolve(buf.toString('utf8'));
    });
  });
}

/** A `lastDirtyTimestamp` query parameter: whole milliseconds (Eureka's is a Java long; a fraction is cut off). */
function optTimestampMs(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new HttpError(400, `Bad number: ${v}`);
  return Math.trunc(n);
}

function optStatus(v: string | null, what: string): InstanceStatus | undefined {
  if (v === null || v === '') return undefined;
  const st = parseStatus(v);
  if (st === null) throw new HttpError(400, `Invalid ${what}: ${v}`);
  return st;
}

export async function startEurekaServer(o: EurekaServerOptions): Promise<EurekaServer> {
  const askTimeoutMs = o.askTimeoutMs ?? 5_000;
  const contexts = new Set((o.contexts ?? ['eureka']).map((c) => c.toLowerCase()));
  const cache = new ResponseCache({
    gateway: o.gateway,
    registryAddress: o.registryAddress,
    updateIntervalMs: o.responseCacheUpdateIntervalMs ?? defaultRegistryConfig.responseCacheUpdateIntervalMs,
    autoExpirationMs: o.responseCacheAutoExpirationMs ?? defaultRegistryConfig.responseCacheAutoExpirationMs,
    useReadOnly: o.useReadOnlyResponseCache ?? defaultRegistryConfig.useReadOnlyResponseCache,
    askTimeoutMs,
  });

  async function ask(msg: RegistryRequest): Promise<RegistryReply> {
    try {
      return await o.gateway.ask<RegistryReply>(o.registryAddress, msg, askTimeoutMs);
    } catch (e) {
      throw new HttpError(503, `registry unavailable: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  function send(req: IncomingMessage, res: ServerResponse, code: number, body: Buffer | string | null, contentType?: string, gz?: Buffer): void {
    const headers: Record<string, string | number> = {};
    let payload: Buffer | null = body === null ? null : typeof body === 'string' ? Buffer.from(body) : body;
    if (payload !== null && contentType !== undefined) headers['content-type'] = contentType;
    if (payload !== null && payload.length > 0 && String(req.headers['accept-encoding'] ?? '').includes('gzip')) {
      payload = gz ?? gzipBuf(payload);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = payload === null ? 0 : payload.length;
    res.writeHead(code, headers);
    res.end(req.method === 'HEAD' ? undefined : (payload ?? undefined));
  }

  function text(req: IncomingMessage, res: ServerResponse, code: number, msg: string): void {
    send(req, res, code, msg, 'text/plain; charset=utf-8');
  }

  function fmtOf(req: IncomingMessage): Format {
    return String(req.headers.accept ?? '').toLowerCase().includes('json') ? 'json' : 'xml';
  }

  function ctype(f: Format): string {
    return f === 'json' ? 'application/json' : 'application/xml';
  }

  async function cached(req: IncomingMessage, res: ServerResponse, key: CacheableKey): Promise<void> {
    const f = fmtOf(req);
    const compact = String(req.headers['x-eureka-accept'] ?? '').toLowerCase() === 'compact';
    const wantsGzip = String(req.headers['accept-encoding'] ?? '').includes('gzip');
    const r = await cache.get(key, f, compact, wantsGzip);
    if (!('body' in r)) return text(req, res, r.code, r.error);
    if (r.code === 404) return text(req, res, 404, 'Not Found');
    send(req, res, 200, r.body, ctype(f), wantsGzip ? gzipOf(r) : undefined);
  }

  async function uncachedInstance(req: IncomingMessage, res: ServerResponse, key: ReadKey): Promise<void> {
    const r = await ask({ type: 'EurekaRead', key });
    if (r.type !== 'EurekaReadResult' || r.instance === undefined) return text(req, res, r.type === 'EurekaReadResult' && r.code === 403 ? 403 : 404, 'Not Found');
    const f = fmtOf(req);
    send(req, res, 200, f === 'json' ? encodeInstanceJson(r.instance) : encodeInstanceXml(r.instance), ctype(f));
  }

  /** A single (non-batch) request carrying the replication header: handled as a one-item batch. */
  async function replicatedOne(req: IncomingMessage, res: ServerResponse, item: ReplicationItem): Promise<void> {
    const r = await ask({ type: 'EurekaReplicationBatch', items: [item] });
    if (r.type !== 'EurekaReplicationBatchResult' || r.results.length !== 1) return text(req, res, 500, 'replication failed');
    const one = r.results[0]!;
    const code = item.action === 'Register' && one.statusCode === 200 ? 204 : one.statusCode;
    if (one.instanceInfo !== undefined) return send(req, res, code, JSON.stringify(instanceJsonObject(one.instanceInfo)), 'application/json');
    send(req, res, code, null);
  }

  function replyCode(req: IncomingMessage, res: ServerResponse, r: RegistryReply, okCode: number): void {
    if (r.type !== 'EurekaReply') return text(req, res, 500, `unexpected reply ${r.type}`);
    if (r.code === 400) return text(req, res, 400, r.error ?? 'Bad Request');
    if (r.code === 409 && r.instanceInfo !== undefined) return send(req, res, 409, JSON.stringify(instanceJsonObject(r.instanceInfo)), 'application/json');
    send(req, res, r.code === 200 || r.code === 204 ? okCode : r.code, null);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    if (rawUrl.length > urlLengthMax) throw new HttpError(414, 'URL too long');
    let url: URL;
    try {
      url = new URL(rawUrl, 'http://localhost');
    } catch {
      throw new HttpError(400, 'Bad URL');
    }
    let segs: string[];
    try {
      segs = url.pathname.split('/').filter((x) => x !== '').map((x) => decodeURIComponent(x));
    } catch {
      throw new HttpError(400, 'Bad URL encoding');
    }
    const method = (req.method ?? 'GET').toUpperCase();
    // find the resource after [ctx, version] or [version]
    let i = -1;
    // `/{version}/{resource}` (also `/eureka/apps/...`, version "eureka" as Spring Cloud serves it) first,
    // then `/{ctx}/{version}/{resource}`
    if (segs.length >= 2 && resources.has(segs[1]!)) i = 1;
    else if (segs.length >= 3 && contexts.has(segs[0]!.toLowerCase()) && resources.has(segs[2]!)) i = 2;
    if (segs[0] === 'serverinfo' || (segs.length >= 2 && contexts.has(segs[0]!.toLowerCase()) && segs[1] === 'serverinfo')) {
      i = segs[0] === 'serverinfo' ? 0 : 1;
    }
    if (i < 0) throw new HttpError(404, `No Eureka resource at ${url.pathname}`);
    const rest = segs.slice(i);
    const q = url.searchParams;
    const replication = String(req.headers['x-netflix-discovery-replication'] ?? '').toLowerCase() === 'true';
    const [res0, a1, a2, a3] = rest;
    switch (res0) {
      case 'apps': {
        if (rest.length === 1) {
          if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Method Not Allowed');
          return cached(req, res, { kind: 'apps' });
        }
        if (rest.length === 2 && a1 === 'delta' && (method === 'GET' || method === 'HEAD')) return cached(req, res, { kind: 'delta' });
        if (rest.length === 2) {
          const app = a1!;
          if (method === 'GET' || method === 'HEAD') return cached(req, res, { kind: 'app', name: app.toUpperCase() });
          if (method !== 'POST') throw new HttpError(405, 'Method Not Allowed');
          const body = await readBody(req, requestBodyBytesMax);
          const d = decodeInstance(body, Date.now());
          if (!d.ok) throw new HttpError(400, d.error);
          const bad = validateRegistration(d.value, app);
          if (bad !== null) throw new HttpError(400, bad);
          if (replication) return replicatedOne(req, res, { action: 'Register', appName: d.value.app, id: d.value.instanceId, instanceInfo: d.value });
          return replyCode(req, res, await ask({ type: 'EurekaRegister', info: d.value }), 204);
        }
        const app = a1!.toUpperCase();
        const id = a2!;
        if (rest.length === 3) {
          if (method === 'GET' || method === 'HEAD') return uncachedInstance(req, res, { kind: 'instance', app, id });
          if (method === 'PUT') {
            const lastDirtyTimestamp = optTimestampMs(q.get('lastDirtyTimestamp'));
            const overriddenStatus = optStatus(q.get('overriddenstatus') ?? q.get('overriddenStatus'), 'overriddenstatus');
            const extra = {
              ...(lastDirtyTimestamp !== undefined ? { lastDirtyTimestamp } : {}),
              ...(overriddenStatus !== undefined ? { overriddenStatus } : {}),
            };
            if (replication) {
              const status = optStatus(q.get('status'), 'status');
              return replicatedOne(req, res, { action: 'Heartbeat', appName: app, id, ...extra, ...(status !== undefined ? { status } : {}) });
            }
            return replyCode(req, res, await ask({ type: 'EurekaRenew', app, id, ...extra }), 200);
          }
          if (method === 'DELETE') {
            if (replication) return replicatedOne(req, res, { action: 'Cancel', appName: app, id });
            return replyCode(req, res, await ask({ type: 'EurekaCancel', app, id }), 200);
          }
          throw new HttpError(405, 'Method Not Allowed');
        }
        if (rest.length === 4 && a3 === 'status') {
          const lastDirtyTimestamp = optTimestampMs(q.get('lastDirtyTimestamp'));
          const ldt = lastDirtyTimestamp !== undefined ? { lastDirtyTimestamp } : {};
          if (method === 'PUT') {
            const value = optStatus(q.get('value'), 'status value');
            if (value === undefined) throw new HttpError(400, 'Missing status value');
            if (replication) return replicatedOne(req, res, { action: 'StatusUpdate', appName: app, id, status: value, ...ldt });
            return replyCode(req, res, await ask({ type: 'EurekaStatusUpdate', app, id, value, ...ldt }), 200);
          }
          if (method === 'DELETE') {
            const value = optStatus(q.get('value'), 'status value');
            const v = value !== undefined ? { value } : {};
            if (replication) return replicatedOne(req, res, { action: 'DeleteStatusOverride', appName: app, id, ...(value !== undefined ? { status: value } : {}), ...ldt });
            return replyCode(req, res, await ask({ type: 'EurekaDeleteStatusOverride', app, id, ...v, ...ldt }), 200);
          }
          throw new HttpError(405, 'Method Not Allowed');
        }
        if (rest.length === 4 && a3 === 'metadata') {
          if (method !== 'PUT') throw new HttpError(405, 'Method Not Allowed');
          const metadata: Record<string, string> = {};
          for (const [k, v] of q) metadata[k] = v;
          return replyCode(req, res, await ask({ type: 'EurekaUpdateMetadata', app, id, metadata }), 200);
        }
        throw new HttpError(404, `No Eureka resource at ${url.pathname}`);
      }
      case 'instances':
        if (rest.length !== 2) throw new HttpError(404, 'Not Found');
        if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Method Not Allowed');
        return uncachedInstance(req, res, { kind: 'instanceById', id: a1! });
      case 'vips':
      case 'svips':
        if (rest.length !== 2) throw new HttpError(404, 'Not Found');
        if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Method Not Allowed');
        return cached(req, res, { kind: res0 === 'vips' ? 'vip' : 'svip', name: a1! });
      case 'peerreplication': {
        if (a1 !== 'batch' || rest.length !== 2) throw new HttpError(404, 'Not Found');
        if (method !== 'POST') throw new HttpError(405, 'Method Not Allowed');
        const d = decodeReplicationList(await readBody(req, replicationBodyBytesMax), Date.now());
        if (!d.ok) throw new HttpError(400, d.error);
        const r = await ask({ type: 'EurekaReplicationBatch', items: d.value });
        if (r.type !== 'EurekaReplicationBatchResult') throw new HttpError(500, 'replication failed');
        return send(req, res, 200, encodeReplicationResponse(r.results), 'application/json');
      }
      case 'asg':
        throw new HttpError(400, 'ASG status is only supported by an AWS registry');
      case 'status': {
        const r = await ask({ type: 'EurekaStats' });
        if (r.type !== 'EurekaStatsResult') throw new HttpError(500, 'stats failed');
        const s = r.stats;
        const body = {
          generalStats: { node: r.node, peers: r.peers, replicationPending: r.replicationPending },
          applicationStats: {
            'registered-instances': s.instances,
            'expected-clients': s.expectedClients,
            numOfRenewsPerMinThreshold: s.renewsThreshold,
            numOfRenewsInLastMin: s.renewsLastWindow,
            isLeaseExpirationEnabled: s.leaseExpirationEnabled,
            selfPreservation: s.selfPreservation,
            ...(s.selfPreservation
              ? { banner: "EMERGENCY! EUREKA MAY BE INCORRECTLY CLAIMING INSTANCES ARE UP WHEN THEY'RE NOT. RENEWALS ARE LESSER THAN THRESHOLD AND HENCE THE INSTANCES ARE NOT BEING EXPIRED JUST TO BE SAFE." }
              : {}),
          },
          isHeathly: true,
        };
        return send(req, res, 200, JSON.stringify(body), 'application/json');
      }
      case 'serverinfo': {
        if (a1 !== 'statusoverrides' || rest.length !== 2) throw new HttpError(404, 'Not Found');
        const r = await ask({ type: 'EurekaOverrides' });
        if (r.type !== 'EurekaOverridesResult') throw new HttpError(500, 'overrides failed');
        return send(req, res, 200, JSON.stringify(Object.fromEntries(r.overrides)), 'application/json');
      }
      default:
        throw new HttpError(404, `No Eureka resource at ${url.pathname}`);
    }
  }

  const server: Server = createServer(limitedServerOptions, (req, res) => {
    if (o.onRequest !== undefined) {
      const t0 = performance.now();
      const report = o.onRequest;
      res.once('finish', () => report(`${req.method ?? '?'} ${resourceOf(req.url)}`, performance.now() - t0));
    }
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // a body refused unread or half read is not read on: the connection closes once the answer is written
      if (!req.complete) closeAfterAnswer(res);
      if (e instanceof HttpError) text(req, res, e.code, e.text);
      else text(req, res, 500, `internal error: ${e instanceof Error ? e.message : String(e)}`);
    });
  });
  server.maxConnections = connectionsMax;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    cache,
    close: () =>
      new Promise<void>((resolve) => {
        cache.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function gzipBuf(b: Buffer): Buffer {
  return gzipSync(b);
}
