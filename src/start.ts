/**
 * `conclave start`: the embedded 3-node cluster on worker threads, with each node's client front ends on
 * loopback ports (Eureka on 8761-8763), printing where everything listens, until SIGINT/SIGTERM.
 */
import { createCluster } from './cluster.js';
import type { Cluster } from './cluster.js';
import { startEurekaServers } from './servers/eureka/server.js';
import { startZkServers, type ZkPortServer } from './servers/zookeeper/serve.js';

export interface StartOptions {
  readonly data?: string;
  readonly host?: string;
  readonly eurekaBasePort?: number;
  /** ZooKeeper client port of the first node, the others follow (default 2181; 0 = free ports). */
  readonly zkBasePort?: number;
  readonly nodes?: number;
  /** Four-letter words the client ports answer (`*` = all; default: serve.ts's fourLetterWordsDefault). */
  readonly fourLetterWordsWhitelist?: readonly string[];
}

export interface Started {
  readonly cluster: Cluster;
  readonly endpoints: readonly { readonly node: string; readonly service: string; readonly url: string }[];
  /** Each node's ZooKeeper client port. */
  readonly zk: ReadonlyMap<string, ZkPortServer>;
  close(): Promise<void>;
}

export async function startEmbedded(opts: StartOptions = {}): Promise<Started> {
  const host = opts.host ?? '127.0.0.1';
  const cluster = await createCluster({ nodes: opts.nodes ?? 3, runtime: 'threads', ...(opts.data !== undefined ? { dataDir: opts.data } : {}) });
  try {
    const leader = await cluster.waitForLeader(30_000);
    const eurekaBase = opts.eurekaBasePort ?? 8761;
    const eureka = await startEurekaServers(
      cluster.runtime,
      cluster.nodes.map((node, i) => ({ node, port: eurekaBase === 0 ? 0 : eurekaBase + i })),
      { host },
    );
    const zkBase = opts.zkBasePort ?? 2181;
    let zk: Map<string, ZkPortServer>;
    try {
      zk = await startZkServers(
        cluster.runtime,
        cluster.nodes.map((node, i) => ({ node, port: zkBase === 0 ? 0 : zkBase + i })),
        { host, ...(opts.fourLetterWordsWhitelist !== undefined ? { fourLetterWordsWhitelist: opts.fourLetterWordsWhitelist } : {}) },
      );
    } catch (e) {
      for (const s of eureka.values()) await s.close();
      throw e;
    }
    const endpoints = cluster.nodes.flatMap((node) => [
      { node, service: 'eureka', url: `http://${host}:${eureka.get(node)!.port}/eureka/v2/apps/` },
      { node, service: 'zookeeper', url: `${host}:${zk.get(node)!.port}` },
    ]);
    void leader;
    return {
      cluster,
      endpoints,
      zk,
      async close() {
        for (const s of zk.values()) await s.close();
        for (const s of eureka.values()) await s.close();
        await cluster.close();
      },
    };
  } catch (e) {
    await cluster.close();
    throw e;
  }
}

export async function runStart(opts: StartOptions): Promise<void> {
  const t0 = Date.now();
  const s = await startEmbedded(opts);
  const st = await s.cluster.status();
  const out = process.stdout;
  out.write(`conclave: ${s.cluster.nodes.length} nodes on worker threads, ready in ${Date.now() - t0} ms\n`);
  for (const node of s.cluster.nodes) {
    out.write(`  ${node}  ${(st[node]?.role ?? 'starting').padEnd(9)}`);
    for (const e of s.endpoints.filter((x) => x.node === node)) out.write(`  ${e.service} ${e.url}`);
    out.write('\n');
  }
  out.write(`  ZooKeeper connect string: ${[...s.zk.values()].map((z) => `${opts.host ?? '127.0.0.1'}:${z.port}`).join(',')}\n`);
  out.write('Ctrl-C stops the cluster.\n');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out.write('conclave: stopping\n');
  await s.close();
}
