/**
 * `conclave bench eureka`: a 3-node registry cluster with 10,000 instances, driven over HTTP on 127.0.0.1.
 * Measures renewals/s, full-registry reads/s and their p99, replication lag (register on one node -> visible on
 * another), and the time for a dead instance to disappear from clients' view: measured with short timings,
 * derived from the timing model for Eureka's defaults (5 minutes worst case would not fit a 2-minute bench).
 *
 * The cluster runs in this process (one Host per node on the real clock, see test/eureka/harness.ts) together
 * with the load generator, so every figure shares one CPU core with the load generator itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRegistryConfig } from '../src/core/registry/types.js';
import type { RegistryConfig } from '../src/core/registry/types.js';
import { EurekaHarness, sleep, waitFor } from '../test/eureka/harness.js';

/** Instances registered for the load phases. */
export const benchInstancesMax = 10_000;
/** Requests in flight at once per load phase. */
const concurrencyMax = 32;
const renewPhaseMs = 6_000;
const readPhaseMs = 6_000;
const lagSamplesMax = 20;

interface Res {
  status: number;
  bytes: number;
}

function http(agent: Agent, port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function instanceBody(app: string, host: string): string {
  return JSON.stringify({
    instance: {
      app,
      hostName: host,
      ipAddr: '10.0.0.1',
      status: 'UP',
      port: { $: 8080, '@enabled': 'true' },
      vipAddress: app.toLowerCase(),
      dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
      metadata: { zone: 'z1' },
    },
  });
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function progress(msg: string): void {
  process.stderr.write(`  [eureka bench] ${msg}\n`);
}

/** Run `fn` with `concurrency` workers until `durationMs` passes or `countMax` calls are done. */
async function load(concurrency: number, durationMs: number, countMax: number, fn: (i: number) => Promise<void>): Promise<{ n: number; ms: number }> {
  const t0 = performance.now();
  let i = 0;
  let lastReport = t0;
  const worker = async () => {
    while (i < countMax && performance.now() - t0 < durationMs) {
      await fn(i++);
      const now = performance.now();
      if (now - lastReport > 2_000) {
        lastReport = now;
        progress(`${i} requests, ${((now - t0) / 1000).toFixed(1)} s`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { n: i, ms: performance.now() - t0 };
}

/** Worst/best case for a dead instance to vanish from a polling client's view, from the timing model (spec §18). */
export function deadInstanceModelMs(c: RegistryConfig, clientPollMs: number): { bestMs: number; worstMs: number } {
  const expiry = c.leaseExpiryDoubledCompat ? 2 * c.leaseDurationMs : c.leaseDurationMs;
  const cacheMs = c.useReadOnlyResponseCache ? c.responseCacheUpdateIntervalMs : 0;
  return { bestMs: expiry, worstMs: expiry + c.evictionIntervalMs + cacheMs + clientPollMs };
}

async function measureDeadInstance(): Promise<{ measuredMs: number; model: { bestMs: number; worstMs: number }; config: Partial<RegistryConfig> }> {
  const config: Partial<RegistryConfig> = {
    leaseDurationMs: 1_000,
    evictionIntervalMs: 500,
    responseCacheUpdateIntervalMs: 250,
    expectedClientRenewalIntervalMs: 250,
    renewRateWindowMs: 1_000,
    selfPreservationEnabled: false,
    registrySyncRetryWaitMs: 300,
  };
  const clientPollMs = 250;
  const h = await new EurekaHarness({ backend: 'threads', config, syncAskTimeoutMs: 300 }).start();
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  try {
    await waitFor(() => h.events.filter((e) => e.type === 'RegistrySynced').length === 3, 5_000);
    const port = h.ports.get('n1')!;
    const bodyOf = (host: string) => JSON.stringify({ instance: { ...JSON.parse(instanceBody('DEADAPP', host)).instance, leaseInfo: { durationInSecs: 1 } } });
    await http(agent, port, 'POST', '/eureka/v2/apps/DEADAPP', bodyOf('dead-host'));
    for (let i = 0; i < 4; i++) {
      await http(agent, port, 'PUT', '/eureka/v2/apps/DEADAPP/dead-host');
      await sleep(250);
    }
    const diedAt = performance.now(); // right after its last renew
    const other = h.ports.get('n2')!;
    let goneAt = NaN;
    while (performance.now() - diedAt < 15_000) {
      const r = await new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port: other, path: '/eureka/v2/apps/', agent, headers: { accept: 'application/json' } }, (res) => {
          let s = '';
          res.on('data', (c: Buffer) => (s += c.toString()));
          res.on('end', () => resolve(s));
        })
          .on('error', reject)
          .end();
      });
      if (!r.includes('dead-host')) {
        goneAt = performance.now();
        break;
      }
      await sleep(clientPollMs);
    }
    const full = { ...defaultRegistryConfig, ...config };
    return { measuredMs: Math.round(goneAt - diedAt), model: deadInstanceModelMs(full, clientPollMs), config };
  } finally {
    agent.destroy();
    await h.close();
  }
}

export async function runEurekaBench(): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const load1m = loadavg()[0] ?? 0;
  progress('starting a 3-node cluster (registry actors on worker threads, HTTP servers on the main thread, 127.0.0.1)');
  const h = await new EurekaHarness({ backend: 'threads', config: {}, syncAskTimeoutMs: 500 }).start();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrencyMax * 2 });
  const ports = h.names.map((n) => h.ports.get(n)!);
  const apps = 200;
  const idOf = (i: number) => ({ app: `APP${i % apps}`, host: `host-${i}` });
  try {
    await waitFor(() => h.events.filter((e) => e.type === 'RegistrySynced').length === 3, 10_000);

    progress(`registering ${benchInstancesMax} instances over 3 nodes`);
    let regFail = 0;
    const reg = await load(concurrencyMax, 60_000, benchInstancesMax, async (i) => {
      const { app, host } = idOf(i);
      const r = await http(agent, ports[i % 3]!, 'POST', `/eureka/v2/apps/${app}`, instanceBody(app, host));
      if (r.status !== 204) regFail++;
    });
    await waitFor(async () => {
      const r = await h.ask<{ type: string; stats?: { instances: number } }>('n3', { type: 'EurekaStats' });
      return r.stats?.instances === benchInstancesMax;
    }, 30_000, 200);

    progress(`renewals for ${renewPhaseMs / 1000} s`);
    let renewFail = 0;
    const renewLat: number[] = [];
    const ren = await load(concurrencyMax, renewPhaseMs, Number.MAX_SAFE_INTEGER, async (i) => {
      const k = (i * 7919) % benchInstancesMax;
      const { app, host } = idOf(k);
      const s = performance.now();
      const r = await http(agent, ports[k % 3]!, 'PUT', `/eureka/v2/apps/${app}/${host}`);
      renewLat.push(performance.now() - s);
      if (r.status !== 200) renewFail++;
    });

    progress('cache fill: first full read on each node (view + JSON encode + gzip)');
    const coldFill: number[] = [];
    for (const p of ports) {
      const s = performance.now();
      await http(agent, p, 'GET', '/eureka/v2/apps/', undefined, { accept: 'application/json', 'accept-encoding': 'gzip' });
      coldFill.push(performance.now() - s);
    }
    progress(`full-registry reads (JSON, gzip) for ${readPhaseMs / 1000} s`);
    const readLat: number[] = [];
    let readBytes = 0;
    let readFail = 0;
    const rd = await load(concurrencyMax / 2, readPhaseMs, Number.MAX_SAFE_INTEGER, async (i) => {
      const s = performance.now();
      const r = await http(agent, ports[i % 3]!, 'GET', '/eureka/v2/apps/', undefined, { accept: 'application/json', 'accept-encoding': 'gzip' });
      readLat.push(performance.now() - s);
      readBytes = r.bytes;
      if (r.status !== 200) readFail++;
    });

    progress(`replication lag: ${lagSamplesMax} registrations on n1, polled on n2`);
    const lags: number[] = [];
    for (let i = 0; i < lagSamplesMax; i++) {
      const host = `lag-${i}`;
      const s = performance.now();
      await http(agent, ports[0]!, 'POST', '/eureka/v2/apps/LAGAPP', instanceBody('LAGAPP', host));
      const seen = await waitFor(async () => (await http(agent, ports[1]!, 'GET', `/eureka/v2/apps/LAGAPP/${host}`)).status === 200, 10_000, 5);
      if (seen) lags.push(performance.now() - s);
    }
    agent.destroy();
    await h.close();

    progress('dead instance: measured with short timings');
    const dead = await measureDeadInstance();
    const defModel = deadInstanceModelMs(defaultRegistryConfig, 30_000);

    const figures = {
      bench: 'eureka',
      nodes: 3,
      instances: benchInstancesMax,
      registrationsPerSec: Math.round(reg.n / (reg.ms / 1000)),
      registrationFailures: regFail,
      renewalsPerSec: Math.round(ren.n / (ren.ms / 1000)),
      renewP99Ms: +pct(renewLat, 99).toFixed(2),
      renewFailures: renewFail,
      fullReadsPerSec: Math.round(rd.n / (rd.ms / 1000)),
      fullReadP50Ms: +pct(readLat, 50).toFixed(2),
      fullReadP99Ms: +pct(readLat, 99).toFixed(2),
      fullReadGzipBytes: readBytes,
      fullReadCacheFillMaxMs: +Math.max(...coldFill).toFixed(1),
      fullReadFailures: readFail,
      replicationLagP50Ms: +pct(lags, 50).toFixed(1),
      replicationLagP99Ms: +pct(lags, 99).toFixed(1),
      replicationLagSamples: lags.length,
      deadInstanceShortTimingsMeasuredMs: dead.measuredMs,
      deadInstanceShortTimingsModelMs: dead.model,
      deadInstanceDefaultModelMs: defModel,
      concurrency: concurrencyMax,
      totalSec: +((Date.now() - t0) / 1000).toFixed(1),
      loadAverage1mAtStart: +load1m.toFixed(2),
      note: 'registry actors on worker threads; the 3 HTTP servers and the load generator share the main thread; default-timing dead-instance time is derived from the timing model (2 x 90 s lease + 60 s eviction + 30 s readOnly cache + 30 s client poll)',
    };
    const rows: [string, string][] = [
      ['instances', `${benchInstancesMax} (${apps} apps, 3 nodes)`],
      ['registrations/s', `${figures.registrationsPerSec}`],
      ['renewals/s', `${figures.renewalsPerSec} (p99 ${figures.renewP99Ms} ms, ${renewFail} failed)`],
      ['full reads/s (gzip JSON)', `${figures.fullReadsPerSec} (${(readBytes / 1024).toFixed(0)} KiB each)`],
      ['full read latency', `p50 ${figures.fullReadP50Ms} ms, p99 ${figures.fullReadP99Ms} ms (served from the readOnly cache)`],
      ['full read cache fill', `${figures.fullReadCacheFillMaxMs} ms (first read of 10,000 instances: build, encode, gzip)`],
      ['replication lag n1 -> n2', `p50 ${figures.replicationLagP50Ms} ms, p99 ${figures.replicationLagP99Ms} ms (${lags.length} samples)`],
      ['dead instance gone (short timings)', `measured ${dead.measuredMs} ms; model ${dead.model.bestMs}..${dead.model.worstMs} ms (lease 1 s doubled, eviction 0.5 s, cache 0.25 s, poll 0.25 s)`],
      ['dead instance gone (defaults)', `model ${defModel.bestMs / 1000}..${defModel.worstMs / 1000} s (180 s doubled lease + 60 s eviction + 30 s cache + 30 s client poll)`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`\nEureka registry benchmark (machine load average at start: ${load1m.toFixed(1)})\n`);
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    const here = dirname(fileURLToPath(import.meta.url));
    const out = join(here, '..', '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'eureka.json'), `${JSON.stringify(figures, null, 2)}\n`);
    return figures;
  } finally {
    agent.destroy();
  }
}
