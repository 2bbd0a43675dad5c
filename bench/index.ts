/** Benchmarks by name; each prints a table and ends with one JSON line (also saved under bench/results/). */
export async function runBench(name: string, opts: Record<string, unknown>): Promise<void> {
  switch (name) {
    case 'throughput':
      await (await import('./throughput.js')).runThroughputBench(opts);
      return;
    case 'failover':
      await (await import('./failover.js')).runFailoverBench(opts);
      return;
    case 'runtime':
      await (await import('./runtime.js')).runRuntimeBench();
      return;
    case 'scale':
      await (await import('./scale.js')).runScale(opts);
      return;
    case 'zk':
      await (await import('./zk.js')).runZkBench(opts);
      return;
    case 'lab':
      await (await import('./lab.js')).runLabBench();
      return;
    case 'lab-check':
      await (await import('./lab-check.js')).runLabCheckBench();
      return;
    case 'redis':
      await (await import('./redis.js')).runRedisBench(opts);
      return;
    case 'redis-memory':
      await (await import('./redis-memory.js')).runRedisMemoryBench(opts);
      return;
    case 'eureka':
      await (await import('./eureka.js')).runEurekaBench();
      return;
    default:
      process.stderr.write(`unknown benchmark '${name}'\n`);
      process.exitCode = 2;
  }
}
