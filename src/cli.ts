#!/usr/bin/env node
import { Command } from 'commander';

// Messages are deep-frozen on delivery in development (tests); the command runs the production build unless
// told otherwise. Set before any kernel module loads (they are imported lazily below; workers inherit it).
process.env.NODE_ENV ??= 'production';

const program = new Command();
program
  .name('conclave')
  .description('A coordination service: ZooKeeper, Eureka and Redis jobs in one cluster of actors on worker threads');

program
  .command('start')
  .description('start the embedded 3-node cluster')
  .option('--data <dir>', 'where the nodes keep their files (default: a temporary directory)')
  .option('--host <addr>', 'address the client ports listen on', '127.0.0.1')
  .option('--eureka-port <port>', 'Eureka port of the first node (the others follow)', '8761')
  .action(async (o: { data?: string; host: string; eurekaPort: string }) => {
    const { runStart } = await import('./start.js');
    await runStart({ ...(o.data !== undefined ? { data: o.data } : {}), host: o.host, eurekaBasePort: Number(o.eurekaPort) });
  });

program
  .command('bench')
  .description('run a benchmark')
  .argument('<name>', 'runtime | scale | eureka | throughput | failover')
  .option('--runtime <kind>', 'throughput: threads | tcp | both (default both); failover: threads | tcp (default threads)')
  .option('--seconds <n>', 'throughput: seconds per mode (default 6)')
  .option('--clients <n>', 'throughput: client sessions (default 8)')
  .option('--window <n>', 'throughput: outstanding requests per client (default 32)')
  .option('--rounds <n>', 'failover: leader kills (default 10)')
  .option('--znodes <n>', 'scale: tree size to grow to (default 1,000,000)')
  .action(async (name: string, o: Record<string, unknown>) => {
    const { runBench } = await import('../bench/index.js');
    await runBench(name, o);
  });

await program.parseAsync(process.argv);
