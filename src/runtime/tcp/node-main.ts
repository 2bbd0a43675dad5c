/**
 * Entry of one node process. Under the tcp runtime's controller (an IPC channel exists) it takes its config from
 * `--config-json`, forwards its events over IPC in batches and answers control requests. Without a controller it
 * runs alone from a JSON config file (`node node-main.js node.json`) and prints its events as JSON lines:
 * a real ensemble member, one process per host.
 */
import { readFileSync } from 'node:fs';
import type { EventPayload } from '../../protocol/events.js';
import type { FromNode, ToNode } from './ipc.js';
import { eventBatchMax } from './ipc.js';
import type { TcpNode, TcpNodeConfig } from './node.js';
import { startTcpNode } from './node.js';
import { applyNodeFault } from '../live-faults.js';
import { eventLine, processLogger } from '../../log.js';

/** Events waiting to be forwarded; beyond this the oldest are dropped (and counted). */
const eventsBufferedMax = 100_000;
/** How long a node waits for its last IPC messages (events, the fatal error) to leave before it exits. */
const ipcDrainMs = 50;
/** Exit code of a node whose actor escalated past its supervisor. */
const escalatedExitCode = 70;

function readConfig(argv: readonly string[]): TcpNodeConfig {
  const i = argv.indexOf('--config-json');
  if (i >= 0 && argv[i + 1] !== undefined) return JSON.parse(argv[i + 1]!) as TcpNodeConfig;
  const file = argv.find((a) => !a.startsWith('--'));
  if (file === undefined) throw new Error('usage: node-main.js <node.json> | --config-json <json>');
  return JSON.parse(readFileSync(file, 'utf8')) as TcpNodeConfig;
}

const controlled = typeof process.send === 'function';
const toController = (m: FromNode): void => {
  if (process.connected) process.send!(m, undefined, undefined, () => undefined);
};

let events: [number, EventPayload][] = [];
let eventsLost = 0;
let flushScheduled = false;
function flushEvents(): void {
  flushScheduled = false;
  while (events.length > 0) {
    const part = events.slice(0, eventBatchMax);
    events = events.slice(part.length);
    toController({ t: 'events', list: part });
  }
}
function onEvent(node: string, time: number, ev: EventPayload): void {
  if (!controlled) {
    printEvent(node, time, ev);
    return;
  }
  if (events.length >= eventsBufferedMax) {
    events.shift();
    eventsLost++;
  }
  events.push([time, ev]);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushEvents);
  }
}

let node: TcpNode | null = null;
let exiting = false;
async function exit(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  try {
    await node?.close();
  } finally {
    flushEvents();
    // let the IPC channel drain the last events before the process goes
    setTimeout(() => process.exit(code), controlled ? ipcDrainMs : 0);
  }
}

const config = readConfig(process.argv.slice(2));
const log = processLogger().child({ node: config.node, actor: 'node' });
const printEvent = eventLine(processLogger());
try {
  node = await startTcpNode({
    ...config,
    onEvent,
    onEscalate: (actor, err) => {
      node?.host.crash(`escalated by ${actor}: ${err instanceof Error ? err.message : String(err)}`);
      void exit(escalatedExitCode);
    },
  });
} catch (e) {
  toController({ t: 'fatal', message: e instanceof Error ? e.message : String(e) });
  log.fatal({ stack: e instanceof Error ? e.stack : undefined }, `cannot start: ${e instanceof Error ? e.message : String(e)}`);
  setTimeout(() => process.exit(1), ipcDrainMs);
}

process.on('SIGTERM', () => void exit(0));
process.on('SIGINT', () => void exit(0));

if (node !== null) {
  const n = node;
  if (controlled) {
    process.on('disconnect', () => void exit(0)); // the controller is gone: no orphans
    process.on('message', (raw) => {
      const m = raw as ToNode;
      // like peer traffic, what the controller sends into a slowed node arrives late (as in the simulator)
      const slowMs = m.t === 'send' || m.t === 'ask' ? n.transport.linkFaults.slowMs[n.host.node] ?? 0 : 0;
      if (slowMs > 0) setTimeout(() => handle(m), slowMs);
      else handle(m);
    });
    const handle = (m: ToNode): void => {
      switch (m.t) {
        case 'send':
          n.host.send(m.env.to, m.env.msg);
          return;
        case 'ask':
          n.host.ask(m.to, m.msg, m.timeoutMs).then(
            (msg) => toController({ t: 'reply', id: m.id, msg }),
            (e: unknown) =>
              toController({
                t: 'replyError',
                id: m.id,
                name: e instanceof Error ? e.name : 'Error',
                message: e instanceof Error ? e.message : String(e),
              }),
          );
          return;
        case 'fault':
          n.transport.applyFault(m.fault);
          n.gate.set(applyNodeFault(n.gate.faults, m.fault, performance.timeOrigin + performance.now()));
          toController({ t: 'ack', id: m.id });
          return;
        case 'status':
          toController({
            t: 'ack',
            id: m.id,
            status: {
              connectedPeers: n.transport.connectedPeers(),
              actors: n.host.actorNames(),
              rejectedConnections: n.transport.stats.rejectedConnections,
              framesReceived: n.transport.stats.framesReceived,
              framesSent: n.transport.stats.framesSent,
              writes: n.transport.stats.writes,
              dropped: n.transport.stats.dropped,
              eventsLost,
              inspect: Object.fromEntries(n.host.actorNames().flatMap((a) => {
                const i = n.host.inspect(a);
                return i === null ? [] : [[a, i]];
              })),
            },
          });
          return;
      }
    };
    toController({ t: 'ready', port: n.transport.port });
  } else {
    log.info({ listen: `${config.listen.host}:${n.transport.port}` }, `listening for peers on ${config.listen.host}:${n.transport.port}`);
  }
}
