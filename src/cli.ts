#!/usr/bin/env node
import { Command } from 'commander';
import { logLevelOf, logLevels, setProcessLogLevel } from './log.js';

// Messages are deep-frozen on delivery in development (tests); the command runs the production build unless
// told otherwise. Set before any kernel module loads (they are imported lazily below; workers inherit it).
process.env.NODE_ENV ??= 'production';

const program = new Command();
program
  .name('conclave')
  .description('A coordination service: ZooKeeper, Eureka and Redis jobs in one cluster of actors on worker threads');

program
  .command('start')
  .description('start the embedded cluster (3 nodes unless --nodes)')
  .option('--data <dir>', 'where the nodes keep their files (default: a temporary directory)')
  .option('--host <addr>', 'address the client ports listen on', '127.0.0.1')
  .option('--eureka-port <port>', 'Eureka port of the first node (the others follow)', '8761')
  .option('--zk-port <port>', 'ZooKeeper client port of the first node (the others follow; 0 = free ports)', '2181')
  .option('--redis-port <port>', "RESP (Redis) port of the first node (the others follow; 0 = free ports; 'off' = none)", '6379')
  .option('--admin-port <port>', "AdminServer (/commands/<name>) port of the first node (the others follow; 0 = free ports; 'off' = none)", '8081')
  .option('--super-digest <user:digest>', "ZooKeeper super user, user:base64(sha1('user:password')) as ZooKeeper's superDigest")
  .option('--4lw <words>', "four-letter words answered on the ZooKeeper ports, comma-separated ('*' = all)")
  .option('--nodes <n>', 'how many nodes (1-9; default 3)')
  .option('--observers <n>', 'how many of them (the last ones) are observers: they serve and follow but never vote (default 0)')
  .option('--lab [port]', 'also serve the failure lab dashboard (default port 8090)')
  .action(async (o: Parameters<typeof import('./start.js').parseStartFlags>[0]) => {
    const { runStart, parseStartFlags, startFailure } = await import('./start.js');
    let flags;
    try {
      flags = parseStartFlags(o);
    } catch (e) {
      process.stderr.write(`conclave start: ${(e as Error).message}\n`);
      process.exit(2);
    }
    try {
      await runStart(flags);
    } catch (e) {
      // A start-up failure is one line naming what to change, never a stack trace.
      process.stderr.write(`conclave start: ${startFailure(e)}\n`);
      process.exit(1);
    }
  });

// `lab`'s own options (--runtime, --port) come before a subcommand; after one they are the subcommand's.
program.enablePositionalOptions();
const lab = program
  .command('lab')
  .enablePositionalOptions()
  .description('the failure lab: a cluster, a workload and the dashboard at http://127.0.0.1:8090/lab; scenarios, recorded runs, history checks (docs/lab.md)')
  .option('--runtime <kind>', 'threads | tcp | sim (default threads)', 'threads')
  .option('--nodes <n>', 'how many nodes (1-9; default 3)', '3')
  .option('--clients <n>', 'ZooKeeper clients, and as many Redis clients (default 3)', '3')
  .option('--port <port>', 'dashboard port (default 8090; 0 = a free port)', '8090')
  .option('--netns', 'tcp: each node in its own network namespace, partitions as routes (root and `ip netns` needed)')
  .action(async (o: { runtime: string; nodes: string; clients: string; port: string; netns?: boolean }) => {
    const [{ runLab }, { workloadClientsMax }] = await Promise.all([import('./lab/dashboard.js'), import('./lab/workload.js')]);
    const whole = (v: string, flag: string, min: number, max: number): number => {
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
        process.stderr.write(`conclave lab: ${flag} must be a whole number from ${min} to ${max}, got '${v}'\n`);
        process.exit(2);
      }
      return Number(v);
    };
    if (!['threads', 'tcp', 'sim'].includes(o.runtime)) {
      process.stderr.write(`conclave lab: --runtime must be threads, tcp or sim, got '${o.runtime}'\n`);
      process.exit(2);
    }
    if (o.netns === true) {
      const why = o.runtime !== 'tcp' ? '--netns needs --runtime tcp' : (await import('./runtime/tcp/netns.js')).netnsUnavailable();
      if (why !== null) {
        process.stderr.write(`conclave lab: --netns: ${why}\n`);
        process.exit(2);
      }
    }
    await runLab({
      runtime: o.runtime as 'threads',
      nodes: whole(o.nodes, '--nodes', 1, 9),
      clients: whole(o.clients, '--clients', 0, workloadClientsMax),
      port: whole(o.port, '--port', 0, 65_535),
      ...(o.netns === true ? { netns: true } : {}),
    });
  });
lab
  .command('view')
  .description('serve a recorded run (runs/<id>) in the dashboard')
  .argument('<run>', 'the run directory')
  .option('--port <port>', 'dashboard port (default 8090)', '8090')
  .action(async (dir: string, o: { port: string }) => {
    const { runLabView } = await import('./lab/dashboard.js');
    try {
      await runLabView(dir, Number(o.port));
    } catch (e) {
      process.stderr.write(`conclave lab view: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  });
// lab run | check | replay | shrink
(await import('./lab/cli.js')).registerLabRunCommands(lab);

program
  .command('node')
  .description('run one ensemble member from a ZooKeeper zoo.cfg (and dataDir/myid), like QuorumPeerMain zoo.cfg')
  .argument('<zoo.cfg>', 'the ZooKeeper configuration file (after any -Dname=value Java system properties)')
  .option('--events', 'print every event as a JSON line')
  .option('--control <channel>', "'ipc': answer asks from the parent process over Node IPC (tests, supervisors)")
  .action(async (cfg: string, o: { events?: boolean; control?: string; logLevel?: string }) => {
    const { runNode } = await import('./node.js');
    await runNode(cfg, { ...o, jvmArgs: nodeJvmArgs });
  });

program
  .command('status')
  .description('the ensemble at a glance: mode, epoch, zxid, lag, clients, latency, znodes, uptime per member, read with srvr/mntr (conclave or Apache ZooKeeper)')
  .option('--connect <members>', 'client ports, host:port comma-separated', '127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183')
  .option('--eureka <ports>', "each member's Eureka port, host:port comma-separated in --connect's order (conclave start: 127.0.0.1:8761,...): registered instances and self-preservation per member")
  .option('--json', 'one JSON line')
  .option('--watch', 'redraw every 2 s until interrupted')
  .action(async (o: { connect: string; eureka?: string; json?: boolean; watch?: boolean }) => {
    const { runStatus } = await import('./status.js');
    try {
      process.exitCode = await runStatus(o);
    } catch (e) {
      process.stderr.write(`conclave status: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  });

program
  .command('bench')
  .description('run a benchmark')
  .argument('<name>', 'runtime | scale | eureka | throughput | failover | zk (conclave vs Apache ZooKeeper, same generator) | redis (conclave vs redis-server, redis-benchmark) | redis-memory (bytes per key vs redis-server) | lab (dashboard events/s in chromium) | lab-check (the history checker)')
  .option('--runtime <kind>', 'throughput: threads | tcp | both (default both); failover: threads | tcp (default threads)')
  .option('--system <which>', 'zk: conclave | zookeeper | both (default both; zookeeper needs Debian\'s zookeeper package); redis: conclave | redis | both')
  .option('--seconds <n>', 'throughput, zk: seconds per mode (default 6)')
  .option('--clients <n>', 'throughput, zk: client sessions (default 8)')
  .option('--window <n>', 'throughput, zk: outstanding requests per client (default 32)')
  .option('--rounds <n>', 'failover: leader kills (default 10); zk: leader kills per system (default 3); redis: runs per figure, median (default 3)')
  .option('--requests <n>', 'redis: requests per test and run (default 30,000)')
  .option('--node <role>', 'redis: the conclave member redis-benchmark connects to: follower | leader (default follower)')
  .option('--busy-loops <n>', 'zk: CPU-bound processes running beside the systems (default 0; result in zk-busy-<n>.json)')
  .option('--znodes <n>', 'scale: tree size to grow to (default 1,000,000)')
  .option('--keys <n>', 'redis-memory: keys of each kind (default 1,000,000)')
  .action(async (name: string, o: Record<string, unknown>) => {
    const { runBench } = await import('../bench/index.js');
    await runBench(name, o);
  });

program
  .command('sim')
  .description('run simulation swarms of a whole ensemble (real actors, faults, invariants); a failure prints its seed and replay command')
  .option('--seeds <n>', 'how many seeds (default 100)')
  .option('--seed <hex>', 'replay one seed (as printed: 0x...)')
  .option('--base <hex>', 'first seed (default: drawn from the clock, printed)')
  .option('--nodes <3|5>', 'ensemble size (default: the seed chooses)')
  .option('--safety-ms <ms>', 'virtual duration of the fault phase (default 4000)')
  .option('--keep-going', 'run every seed even after a failure')
  .action(async (opts: Record<string, string | boolean | undefined>) => {
    const { runSimCommand } = await import('./lab/swarm/sim-command.js');
    try {
      process.exitCode = await runSimCommand(opts);
    } catch (e) {
      process.stderr.write(`conclave sim: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  });

// --log-level on every command (and subcommand): the level of the command's log lines (src/log.ts)
const withLogLevel = (c: Command): void => {
  c.option('--log-level <level>', `log lines at this level and above: ${logLevels.join(' | ')} (default info; conclave node: zoo.cfg's logLevel)`);
  for (const sub of c.commands) withLogLevel(sub);
};
for (const c of program.commands) withLogLevel(c);
program.hook('preAction', (_program, action) => {
  const level = (action.opts() as { logLevel?: string }).logLevel;
  if (level === undefined) return;
  try {
    setProcessLogLevel(logLevelOf(level, '--log-level'));
  } catch (e) {
    process.stderr.write(`conclave ${action.name()}: ${(e as Error).message}\n`);
    process.exit(2);
  }
});

// `conclave node -Dname=value ... zoo.cfg`, as `java -Dname=value ... QuorumPeerMain zoo.cfg`: the -D words are
// Java system properties (src/config/jvmprops.ts), taken out before commander sees them
const nodeJvmArgs = process.argv[2] === 'node' ? process.argv.slice(3).filter((a) => a.startsWith('-D')) : [];
await program.parseAsync(process.argv[2] === 'node' ? process.argv.filter((a, i) => i < 3 || !a.startsWith('-D')) : process.argv);
