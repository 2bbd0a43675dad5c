/** No bytes from a client crash the node: random requests get 2xx/4xx, never 5xx, and the registry actor never restarts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import fc from 'fast-check';
import { EurekaHarness, waitFor } from './harness.js';

const runsMax = 400;

function raw(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(-1)); // the client side refusing a malformed request line is fine
    req.end(body);
  });
}

test('random methods, paths, headers and bodies never get a 5xx nor crash the registry', async () => {
  const h = await new EurekaHarness({ nodes: 1, config: { selfPreservationEnabled: false, responseCacheUpdateIntervalMs: 200 } }).start();
  try {
    await waitFor(() => h.events.some((e) => e.type === 'RegistrySynced'), 2_000);
    const port = h.ports.get('n1')!;
    const seg = fc.oneof(
      fc.constantFrom('eureka', 'v2', 'v1', 'apps', 'delta', 'instances', 'vips', 'svips', 'peerreplication', 'batch', 'status', 'metadata', 'asg', 'APP', 'id1', '%ZZ', '..', '%2F'),
      fc.string({ maxLength: 8 }).map((s) => encodeURIComponent(s)),
    );
    const query = fc.oneof(
      fc.constant(''),
      fc.string({ maxLength: 20 }).map((q) => `?${encodeURIComponent(q)}=${encodeURIComponent(q)}`),
      fc.tuple(fc.constantFrom('UP', 'DOWN', 'OUT_OF_SERVICE', 'x', ''), fc.constantFrom('1', 'abc', '9e99', '')).map(([v, t]) => `?value=${v}&lastDirtyTimestamp=${t}&overriddenstatus=${v}`),
    );
    const structured = fc
      .tuple(fc.constantFrom('/eureka/v2/', '/eureka/', '/v2/'), fc.constantFrom('apps', 'apps/APP', 'apps/APP/id1', 'apps/APP/id1/status', 'apps/APP/id1/metadata', 'apps/delta', 'instances/id1', 'vips/app', 'svips/app', 'peerreplication/batch', 'status', 'asg/g/status'), fc.boolean(), query)
      .map(([pre, r, slash, q]) => `${pre}${r}${slash ? '/' : ''}${q}`);
    const path = fc.oneof(
      structured,
      fc.tuple(fc.array(seg, { maxLength: 6 }), fc.boolean(), query).map(([ss, slash, q]) => `/${ss.join('/')}${slash ? '/' : ''}${q}`),
    );
    const instanceish = fc.record(
      {
        app: fc.oneof(fc.constant('APP'), fc.string(), fc.integer()),
        hostName: fc.oneof(fc.string(), fc.constant(null)),
        ipAddr: fc.string(),
        port: fc.oneof(fc.integer(), fc.string(), fc.record({ $: fc.oneof(fc.integer(), fc.string()), '@enabled': fc.oneof(fc.boolean(), fc.string()) }), fc.constant(null)),
        dataCenterInfo: fc.oneof(fc.record({ name: fc.oneof(fc.string(), fc.integer()) }), fc.string(), fc.constant(null)),
        metadata: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.object())), fc.string()),
        status: fc.oneof(fc.constantFrom('UP', 'DOWN', 'bogus'), fc.integer()),
        leaseInfo: fc.oneof(fc.record({ durationInSecs: fc.oneof(fc.integer(), fc.string()) }), fc.constant(null)),
        lastDirtyTimestamp: fc.oneof(fc.string(), fc.integer(), fc.double()),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)),
      fc.json().map((s) => Buffer.from(s)),
      instanceish.map((i) => Buffer.from(JSON.stringify({ instance: i }))),
      fc.array(fc.record({ action: fc.constantFrom('Register', 'Heartbeat', 'Cancel', 'StatusUpdate', 'DeleteStatusOverride', 'X'), appName: fc.string(), id: fc.string(), instanceInfo: instanceish }, { requiredKeys: ['action'] }), { maxLength: 5 }).map((l) =>
        Buffer.from(JSON.stringify({ replicationList: l })),
      ),
      fc.string({ maxLength: 100 }).map((s) => Buffer.from(`<instance><app>${s}</app><port enabled="x">${s}</port><dataCenterInfo><name>${s}</name></dataCenterInfo></instance>`)),
    );
    const headers = fc.record(
      {
        accept: fc.constantFrom('application/json', 'application/xml', '*/*', ''),
        'accept-encoding': fc.constantFrom('gzip', 'gzip, deflate', 'identity'),
        'content-encoding': fc.constantFrom('gzip', 'identity'),
        'x-netflix-discovery-replication': fc.constantFrom('true', 'false'),
        'x-eureka-accept': fc.constantFrom('full', 'compact'),
      },
      { requiredKeys: [] },
    );
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS');
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(method, path, headers, body, async (m, p, hd, b) => {
        const status = await raw(port, m, p, hd, m === 'GET' || m === 'HEAD' ? Buffer.alloc(0) : b);
        seen.set(status, (seen.get(status) ?? 0) + 1);
        return status === -1 || (status >= 200 && status < 500);
      }),
      { numRuns: runsMax, seed: Number(process.env.EUREKA_FUZZ_SEED ?? Date.now() % 1_000_000), verbose: true },
    );
    if (process.env.EUREKA_FUZZ_DEBUG) console.log([...seen]);
    assert.ok((seen.get(400) ?? 0) + (seen.get(404) ?? 0) > 0, JSON.stringify([...seen]));
    assert.not.ok(h.events.some((e) => e.type === 'ActorRestarted'), 'the registry actor never crashed');
    assert.is((await fetch(h.url('n1'))).status, 200, 'still serving');
  } finally {
    await h.close();
  }
});

test.run();
