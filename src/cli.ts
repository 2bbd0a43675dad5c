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
  .option('--zk-port <port>', 'ZooKeeper client port of the first node (the others follow; 0 = free ports)', '2181')
  .action(async (o: { data?: string; host: string; eurekaPort: string; zkPort: string }) => {
    const { runStart } = await import('./start.js');
    await runStart({ ...(o.data !== undefined ? { data: o.data } : {}), host: o.host, eurekaBasePort: Number(o.eurekaPort), zkBasePort: Number(o.zkPort) });
  });

program
  .command('bench')
  .description('run a benchmark')
  .argument('<name>', 'runtime')
  .action(async (name: string) => {
    const { runBench } = await import('../bench/index.js');
    await runBench(name, program.opts());
  });

await program.parseAsync(process.argv);
