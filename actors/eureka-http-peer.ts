/**
 * A bridge to a Eureka peer reached over HTTP (a Java Eureka server, or another conclave cluster): it stands in
 * the registry actor's peer list like any peer registry actor. `EurekaReplicationBatch` becomes
 * `POST {url}peerreplication/batch/` (JSON, replication header), `EurekaSyncRequest` becomes `GET {url}apps/`.
 * A failed request is answered with `EurekaPeerUnavailable`, which the registry re-queues with back-off.
 */
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Ctx, ReplyToken } from '../src/kernel/actor.js';
import { defineActor } from '../src/kernel/actor.js';
import type { RegistryReply, RegistryRequest } from '../src/core/registry/messages.js';
import { decodeApps, decodeReplicationResponse, encodeReplicationList } from '../src/wire/eureka/codec.js';

/** Bytes of a peer's answer we read at most. */
export const peerResponseBytesMax = 64 * 1024 * 1024;

export interface HttpPeerArgs {
  /** The peer's service URL ending in `/`, e.g. `http://10.0.0.2:8080/eureka/v2/`. */
  readonly url: string;
  readonly readTimeoutMs?: number;
}

type Msg = RegistryRequest;

function call(url: string, method: string, body: string | null, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          'accept-encoding': 'gzip',
          'x-netflix-discovery-replication': 'true',
          'DiscoveryIdentity-Name': 'DefaultServer',
          'DiscoveryIdentity-Version': '1.4',
          ...(body !== null ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > peerResponseBytesMax) req.destroy(new Error('peer response too large'));
          else chunks.push(c);
        });
        res.on('end', () => {
          try {
            let buf = Buffer.concat(chunks);
            if (String(res.headers['content-encoding'] ?? '').includes('gzip')) buf = gunzipSync(buf, { maxOutputLength: peerResponseBytesMax });
            resolve({ status: res.statusCode ?? 0, text: buf.toString('utf8') });
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('read timed out')));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

function answer(ctx: Ctx<Msg>, token: ReplyToken | null, r: RegistryReply): void {
  if (token !== null) ctx.respond(token, r);
}

/** ReplicationTaskProcessor's classes: 503 = congestion, other non-2xx = permanent. */
function httpFailure(status: number): RegistryReply {
  return { type: 'EurekaPeerUnavailable', reason: `HTTP ${status}`, failure: status === 503 ? 'congestion' : 'permanent' };
}

/** IOException classes: a read timeout is congestion, anything else (refused, reset) transient. */
function ioFailure(e: unknown): RegistryReply {
  const reason = e instanceof Error ? e.message : String(e);
  return { type: 'EurekaPeerUnavailable', reason, failure: /read.*time.*out/i.test(reason) ? 'congestion' : 'transient' };
}

export const eurekaHttpPeer = defineActor<HttpPeerArgs, Msg, HttpPeerArgs>({
  init: (_ctx, args) => ({ ...args, url: args.url.endsWith('/') ? args.url : `${args.url}/` }),
  receive(s, m, ctx) {
    const token = ctx.replyToken();
    const timeoutMs = s.readTimeoutMs ?? 5_000;
    switch (m.type) {
      case 'EurekaReplicationBatch':
        call(`${s.url}peerreplication/batch/`, 'POST', encodeReplicationList(m.items), timeoutMs).then(
          (r) => {
            if (r.status !== 200) return answer(ctx, token, httpFailure(r.status));
            const d = decodeReplicationResponse(r.text, ctx.now());
            if (!d.ok) return answer(ctx, token, { type: 'EurekaPeerUnavailable', reason: d.error, failure: 'permanent' });
            answer(ctx, token, { type: 'EurekaReplicationBatchResult', results: d.value });
          },
          (e: unknown) => answer(ctx, token, ioFailure(e)),
        );
        return s;
      case 'EurekaSyncRequest':
        call(`${s.url}apps/`, 'GET', null, timeoutMs).then(
          (r) => {
            if (r.status !== 200) return answer(ctx, token, httpFailure(r.status));
            const d = decodeApps(r.text, ctx.now());
            if (!d.ok) return answer(ctx, token, { type: 'EurekaPeerUnavailable', reason: d.error, failure: 'permanent' });
            answer(ctx, token, { type: 'EurekaSyncSnapshot', instances: d.value.applications.flatMap((a) => a.instances), overrides: [] });
          },
          (e: unknown) => answer(ctx, token, ioFailure(e)),
        );
        return s;
      default:
        answer(ctx, token, { type: 'EurekaPeerUnavailable', reason: `${m.type} is not forwarded to HTTP peers`, failure: 'permanent' });
        return s;
    }
  },
});
