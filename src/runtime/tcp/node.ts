/**
 * One node in its own process: a kernel Host on the real clock, its actors loaded by URL, and a TcpTransport to
 * its peers. Usable without a controller (a real ensemble member started from a config), and by node-main.ts
 * under the tcp runtime's controller.
 */
import { mkdirSync } from 'node:fs';
import type { ActorKinds, ActorSpec } from '../../kernel/actor.js';
import { realClock } from '../../kernel/clock.js';
import type { Clock } from '../../kernel/clock.js';
import { Host } from '../../kernel/host.js';
import type { NodeIo } from '../../kernel/io.js';
import type { Address, Envelope } from '../../protocol/envelope.js';
import { broadcastActor, peerNoticeEnvelope, type PeerNotice } from '../../protocol/broadcast.js';
import type { EventPayload } from '../../protocol/events.js';
import type { LinkFaults } from '../../protocol/faults.js';
import { FsDisk, SplitDisk } from '../fsdisk.js';
import type { NodeFaults } from '../live-faults.js';
import { NodeFaultGate, noNodeFaults } from '../live-faults.js';
import { logDir as walDir } from '../../storage/storage.js';
import type { PeerAddress } from './transport.js';
import { TcpTransport } from './transport.js';
import { eventLine, processLogger } from '../../log.js';

export interface TcpNodeConfig {
  /** This node's name, as in every address `<node>/<actor>`. */
  readonly node: string;
  /** Where this node listens for its peers. */
  readonly listen: PeerAddress;
  /** The other nodes by name (an entry for this node is ignored). */
  readonly peers: Readonly<Record<string, PeerAddress>>;
  /** URL (file:) of a compiled module exporting `kinds: ActorKinds`. */
  readonly kindsModule: string;
  /** The actors to start on this node. */
  readonly actors?: readonly ActorSpec[];
  /** This node's own data directory (already `<dataDir>/<node>`), for its disk. */
  readonly dataDir?: string;
  /** Where the write-ahead log goes instead of `<dataDir>/log` (ZooKeeper's dataLogDir); needs `dataDir`. */
  readonly logDir?: string;
  readonly seed?: number;
  /** Network faults in force when the node starts (a restarted node rejoins the current network). */
  readonly faults?: LinkFaults;
  /** Clock and disk faults in force when the node starts (they outlive a restart; pause is SIGSTOP, outside). */
  readonly nodeFaults?: NodeFaults;
  /** Where events go; default: one JSON line each on stdout. */
  readonly onEvent?: (node: string, time: number, ev: EventPayload) => void;
  /** An actor's supervisor escalated; default: the node crashes (its host stops; the process decides the rest). */
  readonly onEscalate?: (actor: Address, error: unknown) => void;
  /**
   * Envelopes to `address` (a host of this node on another thread: the replies to its asks) go to `deliver`
   * instead of this node's host.
   */
  readonly otherHost?: { readonly address: Address; readonly deliver: (env: Envelope) => void };
}

export interface TcpNode {
  readonly host: Host;
  readonly transport: TcpTransport;
  readonly clock: Clock;
  /** The node's clock and disk faults (`gate.set` changes them). */
  readonly gate: NodeFaultGate;
  readonly config: TcpNodeConfig;
  close(): Promise<void>;
}

/**
 * The IO the node's actors get, built from its data directory: its real disk (none without a data dir), with the
 * write-ahead log under `logDir` when one is given.
 */
export function nodeIo(dataDir: string | undefined, logDir?: string): NodeIo {
  if (dataDir === undefined) return {};
  const main = new FsDisk(dataDir);
  return { disk: logDir === undefined ? main : new SplitDisk(main, walDir, new FsDisk(logDir)) };
}

const withDiskFaults = (io: NodeIo, gate: NodeFaultGate): NodeIo => (io.disk !== undefined ? { ...io, disk: gate.disk(io.disk) } : io);

export async function loadKinds(url: string): Promise<ActorKinds> {
  const mod = (await import(url)) as { kinds?: ActorKinds };
  if (mod.kinds === undefined || typeof mod.kinds !== 'object') throw new Error(`${url} exports no 'kinds'`);
  return mod.kinds;
}

export async function startTcpNode(config: TcpNodeConfig): Promise<TcpNode> {
  if (config.dataDir !== undefined) mkdirSync(config.dataDir, { recursive: true });
  const kinds = await loadKinds(config.kindsModule);
  const real = realClock();
  const gate = new NodeFaultGate(config.nodeFaults ?? noNodeFaults, real);
  /** The actors' clock (skewed by a `clock` fault); events are stamped with the real one. */
  const clock = gate.clock();
  const seed = config.seed ?? 1;
  const onEvent = config.onEvent ?? eventLine(processLogger());
  let transport: TcpTransport | null = null;
  const other = config.otherHost;
  const host: Host = new Host({
    node: config.node,
    clock,
    seed,
    kinds,
    outbound: (env) => transport?.send(env),
    emit: (node, _time, ev) => onEvent(node, real.now(), ev),
    io: withDiskFaults(nodeIo(config.dataDir, config.logDir), gate),
    onEscalate: config.onEscalate ?? ((actor, err) => host.crash(`escalated by ${actor}: ${err instanceof Error ? err.message : String(err)}`)),
  });
  // told only to a node that runs ZAB (a cluster of other actors would count them as dead letters)
  const toBroadcast = (msg: PeerNotice) => {
    if (host.has(broadcastActor)) host.deliver(peerNoticeEnvelope(config.node, msg));
  };
  transport = new TcpTransport({
    node: config.node,
    listen: config.listen,
    peers: config.peers,
    deliver: other === undefined ? (env) => host.deliver(env) : (env) => (env.to === other.address ? other.deliver(env) : host.deliver(env)),
    emit: (ev) => onEvent(config.node, real.now(), ev),
    // a peer's large message on its way counts as hearing from it (ZAB's liveness limits)
    onPeerActive: (peer) => toBroadcast({ type: 'PeerActive', node: peer }),
    // a peer's connection closed (its process died): ZAB need not wait for its liveness limits
    onPeerGone: (peer) => toBroadcast({ type: 'PeerGone', node: peer }),
    seed,
    ...(config.faults ? { faults: config.faults } : {}),
  });
  await transport.start();
  for (const a of config.actors ?? []) host.spawn(a.name, a.kind, a.args);
  const t = transport;
  let closed = false;
  return {
    host,
    transport: t,
    clock,
    gate,
    config,
    async close() {
      if (closed) return;
      closed = true;
      host.stopAll('node closing');
      await t.close();
    },
  };
}
