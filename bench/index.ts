/** Benchmarks by name; each prints a table and ends with one JSON line (also saved under bench/results/). */
export async function runBench(name: string, _opts: Record<string, unknown>): Promise<void> {
  switch (name) {
    case 'runtime':
      await (await import('./runtime.js')).runRuntimeBench();
      return;
    case 'scale':
      await (await import('./scale.js')).runScale(_opts);
      return;
    case 'eureka':
      await (await import('./eureka.js')).runEurekaBench();
      return;
    default:
      process.stderr.write(`unknown benchmark '${name}'\n`);
      process.exitCode = 2;
  }
}
