/**
 * The failure lab's event stream to the page: Server-Sent Events on Node's own http server. Every item gets the
 * next id (`id: <n>` per SSE event) and goes into a bounded ring; each client is written to once per batch
 * interval with everything new since its last write. A browser that reconnects sends `Last-Event-ID` and gets
 * exactly the items after it (no gap, no duplicate) while they are still in the ring; one that fell further
 * behind gets a `gap` event naming the first id it will see, then the ring from its start.
 */
import type { ServerResponse } from 'node:http';

/** Items the ring keeps for reconnecting (and newly opened) pages. */
export const streamRingItemsMax = 200_000;
/** How often new items are written to the clients (one write per client per interval). */
export const streamBatchMs = 50;
/** Concurrent stream clients (browsers allow 6 HTTP/1.1 connections per host: one stream per tab). */
export const streamClientsMax = 16;
/**
 * Bytes a client may leave unread in its socket buffer; beyond, it is disconnected (it reconnects by itself and
 * resumes from its Last-Event-ID).
 */
export const streamClientBufferBytesMax = 8 * 1024 * 1024;
/** Items written to one client in one batch at most (a reconnecting client catches up over several batches). */
export const streamBatchItemsMax = 20_000;
/** A comment line this often keeps proxies and idle sockets from closing the stream. */
export const streamKeepAliveMs = 15_000;

/** One stream item: `k` says what it is; the rest is plain JSON. */
export interface StreamItem {
  readonly k: string;
  readonly [field: string]: unknown;
}

interface Client {
  readonly res: ServerResponse;
  /** The id of the last item written to this client. */
  last: number;
}

export class LabStream {
  private readonly ring: string[] = [];
  /** Id of ring[0]. */
  private firstId = 1;
  private nextId = 1;
  private readonly clients = new Set<Client>();
  private readonly timer: NodeJS.Timeout;
  private readonly keepAlive: NodeJS.Timeout;
  /** Items pushed since the stream began (benchmarks). */
  pushed = 0;

  constructor(
    readonly batchMs = streamBatchMs,
    private readonly ringMax = streamRingItemsMax,
  ) {
    this.timer = setInterval(() => this.flush(), batchMs);
    this.keepAlive = setInterval(() => {
      for (const c of this.clients) c.res.write(': keep-alive\n\n');
    }, streamKeepAliveMs);
    this.timer.unref();
    this.keepAlive.unref();
  }

  /** Adds an item; it is serialized once, now. Returns its id. */
  push(item: StreamItem): number {
    const id = this.nextId++;
    this.ring.push(JSON.stringify(item));
    if (this.ring.length > this.ringMax) {
      const cut = this.ring.length - this.ringMax;
      this.ring.splice(0, cut);
      this.firstId += cut;
    }
    this.pushed++;
    return id;
  }

  /** The id the next item will get. */
  get headId(): number {
    return this.nextId;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Serves one stream request. `lastEventId` is the request's Last-Event-ID (absent: a fresh page, which gets the
   * whole ring). Refuses with 503 beyond `streamClientsMax`.
   */
  serve(res: ServerResponse, lastEventId: string | undefined): void {
    if (this.clients.size >= streamClientsMax) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
      res.end(`too many lab streams (at most ${streamClientsMax})\n`);
      return;
    }
    const asked = lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : 0;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.socket?.setNoDelay(true);
    // retry: how soon the browser reconnects after a drop
    res.write('retry: 500\n\n');
    // An id we never issued (a server restarted under the page): start over.
    const c: Client = { res, last: asked >= this.nextId ? 0 : asked };
    this.clients.add(c);
    res.on('close', () => this.clients.delete(c));
    this.write(c);
  }

  private write(c: Client): void {
    if (c.last < this.firstId - 1) {
      // The ring moved past what this client has: say what it missed, then carry on from the ring's start.
      c.res.write(`event: gap\ndata: ${JSON.stringify({ from: c.last + 1, to: this.firstId - 1 })}\n\n`);
      c.last = this.firstId - 1;
    }
    const from = c.last + 1;
    if (from >= this.nextId) return;
    if (c.res.writableLength > streamClientBufferBytesMax) {
      c.res.destroy();
      this.clients.delete(c);
      return;
    }
    const to = Math.min(this.nextId, from + streamBatchItemsMax);
    let out = '';
    for (let id = from; id < to; id++) out += `id: ${id}\ndata: ${this.ring[id - this.firstId]}\n\n`;
    c.res.write(out);
    c.last = to - 1;
  }

  /** Writes what is new to every client (called every `batchMs`). */
  flush(): void {
    for (const c of this.clients) this.write(c);
  }

  close(): void {
    clearInterval(this.timer);
    clearInterval(this.keepAlive);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
