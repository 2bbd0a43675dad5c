/**
 * The lab's Server-Sent Events stream, read as a browser would (Node 20 has no EventSource: the stream is parsed
 * here): `id:` per event, batches, a reconnect with Last-Event-ID resumes with no gap and no duplicate, a client
 * behind the ring's start is told of the gap; faults are checked before they reach the cluster; bodies are bounded.
 */
import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LabStream } from '../../src/servers/lab/stream.js';
import { labBodyBytesMax, startLabServer, type LabServer } from '../../src/servers/lab/server.js';
import type { FaultSpec } from '../../src/lab/faults.js';

interface Sse {
  readonly id: number | null;
  readonly event: string;
  readonly data: string;
}

/** Reads the stream until `until` says stop (or `timeoutMs`), then closes the connection. */
function readStream(url: string, lastEventId: string | null, until: (got: Sse[]) => boolean, timeoutMs = 5_000): Promise<Sse[]> {
  return new Promise((resolve, reject) => {
    const got: Sse[] = [];
    const req = http.get(url, { headers: lastEventId === null ? {} : { 'last-event-id': lastEventId } }, (res) => {
      assert.is(res.headers['content-type'], 'text/event-stream');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let id: number | null = null;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) id = Number(line.slice(4));
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) got.push({ id, event, data: data.join('\n') });
        }
        if (until(got)) {
          clearTimeout(t);
          req.destroy();
          resolve(got);
        }
      });
    });
    req.on('error', () => undefined);
    const t = setTimeout(() => {
      req.destroy();
      reject(new Error(`stream: only ${got.length} events within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

function post(port: number, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let stream: LabStream;
let server: LabServer;
const faults: FaultSpec[] = [];
test.before.each(async () => {
  faults.length = 0;
  stream = new LabStream(50, 1_000);
  server = await startLabServer({
    port: 0,
    stream,
    meta: () => ({ mode: 'live', runtime: 'threads', nodes: ['n1', 'n2', 'n3'], startedAt: 0, title: 'test', faults: true, scenarios: [] }),
    fault: async (f) => {
      if (f.fault === 'kill' && f.target === 'n9') throw new Error("unknown node 'n9'");
      faults.push(f);
    },
  });
});
test.after.each(async () => {
  await server.close();
});

const streamUrl = () => `http://127.0.0.1:${server.port}/lab/api/stream`;

test('every event has an id; a reconnect with Last-Event-ID resumes with no gap and no duplicate', async () => {
  for (let i = 1; i <= 100; i++) stream.push({ k: 'ev', t: i, n: i });
  const first = await readStream(streamUrl(), null, (g) => g.length >= 40);
  const last = first[first.length - 1]!.id!;
  // more items while the page is away
  for (let i = 101; i <= 250; i++) stream.push({ k: 'ev', t: i, n: i });
  const rest = await readStream(streamUrl(), String(last), (g) => g.length > 0 && g[g.length - 1]!.id === 250);
  const ids = [...first, ...rest].map((e) => e.id!);
  assert.equal(ids, Array.from({ length: 250 }, (_, i) => i + 1), 'ids 1..250, each once, in order');
  assert.equal([...first, ...rest].map((e) => (JSON.parse(e.data) as { n: number }).n), ids, 'each id carries its own item');
});

test('items pushed while a client listens arrive in batches (one write per interval)', async () => {
  const p = readStream(streamUrl(), null, (g) => g.length >= 30);
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 30; i++) stream.push({ k: 'ev', t: i });
  const got = await p;
  assert.equal(got.map((e) => e.id), Array.from({ length: 30 }, (_, i) => i + 1));
});

test('a client behind the ring is told of the gap, then gets the ring from its start', async () => {
  for (let i = 1; i <= 1_500; i++) stream.push({ k: 'ev', t: i });
  const got = await readStream(streamUrl(), '10', (g) => g.length > 0 && g[g.length - 1]!.id === 1_500);
  assert.is(got[0]!.event, 'gap');
  assert.equal(JSON.parse(got[0]!.data), { from: 11, to: 500 });
  assert.is(got[1]!.id, 501);
  assert.is(got.length, 1 + 1_000);
});

test('an id the server never issued starts over from the ring', async () => {
  for (let i = 1; i <= 5; i++) stream.push({ k: 'ev', t: i });
  const got = await readStream(streamUrl(), '999999', (g) => g.length >= 5);
  assert.equal(got.map((e) => e.id), [1, 2, 3, 4, 5]);
});

test('POST /lab/api/fault: a FaultSpec reaches the injector; bad ones are refused with a reason', async () => {
  const ok = await post(server.port, '/lab/api/fault', JSON.stringify({ fault: 'kill', target: 'leader' }));
  assert.is(ok.status, 200);
  assert.equal(faults, [{ fault: 'kill', target: 'leader' }]);
  for (const [body, why] of [
    ['{"fault":"explode"}', /unknown fault/],
    ['not json', /not JSON/],
    ['[1]', /JSON object/],
    ['{"fault":"drop","ratio":7}', /ratio out of range/],
    ['{"fault":"kill","target":"n9"}', /unknown node 'n9'/],
  ] as const) {
    const r = await post(server.port, '/lab/api/fault', body);
    assert.is(r.status, 400, body);
    assert.match((JSON.parse(r.body) as { error: string }).error, why);
  }
  const big = await post(server.port, '/lab/api/fault', JSON.stringify({ fault: 'heal', pad: 'x'.repeat(labBodyBytesMax) }));
  assert.is(big.status, 413);
  assert.is(faults.length, 1, 'nothing else reached the injector');
});

test('the page and its script are served', async () => {
  const page = await fetch(`http://127.0.0.1:${server.port}/lab/`);
  assert.is(page.status, 200);
  assert.match(await page.text(), /<script src="lab.js">/);
  const js = await fetch(`http://127.0.0.1:${server.port}/lab/lab.js`);
  const size = (await js.arrayBuffer()).byteLength;
  assert.ok(size < 200 * 1024, `script ${size} bytes (at most 200 KB)`);
  assert.is((await fetch(`http://127.0.0.1:${server.port}/lab/../package.json`)).status, 404);
});

test.run();
