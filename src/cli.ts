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
  .option('--data <dir>', 'where the nodes keep their files')
  .action(async () => {
    process.stdout.write('conclave start: not yet — the client front ends arrive with later issues\n');
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
