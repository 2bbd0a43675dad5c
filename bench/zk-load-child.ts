/**
 * Entry of the `conclave bench zk` load generator process (forked by {@link LoadChild}): answers the parent's
 * commands over IPC, one throughput run or one failover round at a time. Exits when the parent disconnects.
 */
import { FailoverWriters, runThroughput, type FromLoad, type ToLoad } from './zk-load.js';

let writers: FailoverWriters | null = null;

const send = (m: FromLoad): void => {
  if (process.connected) process.send!(m);
};

async function handle(m: ToLoad): Promise<unknown> {
  switch (m.t) {
    case 'throughput':
      return runThroughput(m.spec, (text) => send({ t: 'progress', text }));
    case 'failoverStart':
      if (writers !== null) throw new Error('failover writers already running');
      writers = new FailoverWriters(m.spec, m.serverIndexes, m.round);
      await writers.start();
      return undefined;
    case 'failoverProgress':
      if (writers === null) throw new Error('no failover writers running');
      return writers.progress();
    case 'failoverStop': {
      if (writers === null) throw new Error('no failover writers running');
      const w = writers;
      writers = null;
      return w.stop();
    }
    default:
      throw new Error(`unknown command ${(m as { t: string }).t}`);
  }
}

process.on('message', (raw) => {
  const m = raw as ToLoad;
  handle(m).then(
    (value) => send({ t: 'reply', id: m.id, value }),
    (e: unknown) => send({ t: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
