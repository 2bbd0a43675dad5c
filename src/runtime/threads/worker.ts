/**
 * The piscina task that hosts one actor on a worker thread. It lives as long as the actor: the task resolves
 * when the actor stops, is crashed by the driver, or escalates. Actor-to-actor traffic goes straight through
 * the MessagePort mesh, batched per destination per turn; comlink carries only the admin plane.
 */
import { expose } from 'comlink';
import type { MessagePort } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ActorKinds } from '../../kernel/actor.js';
import { realClock } from '../../kernel/clock.js';
import { Host } from '../../kernel/host.js';
import { Rng } from '../../core/rng.js';
import type { Envelope } from '../../protocol/envelope.js';
import { actorOf, address, nodeOf } from '../../protocol/envelope.js';
import type { EventPayload } from '../../protocol/events.js';
import { linkCut } from '../../protocol/faults.js';
import type { LinkFaults } from '../../protocol/faults.js';
import { FsDisk } from '../fsdisk.js';
import { NodeFaultGate, ReorderLinks } from '../live-faults.js';
import { join } from 'node:path';
import type { ActorControl, ActorTask, ActorTaskResult, PortFrame } from './wire.js';
import { outboxMax, postBatchMax } from './wire.js';

/** Destination addresses whose route is cached per actor task. */
const routesCacheMax = 10_000;

const kindsCache = new Map<string, Promise<ActorKinds>>();
function loadKinds(url: string): Promise<ActorKinds> {
  let p = kindsCache.get(url);
  if (p === undefined) {
    p = import(url).then((m: { kinds: ActorKinds }) => m.kinds);
    kindsCache.set(url, p);
  }
  return p;
}

/** Map an address to the actor whose port serves it: `n1/$askelection` is answered through `n1/election`. */
function portKey(addr: string): string {
  const actor = actorOf(addr);
  if (actor.startsWith('$ask')) return address(nodeOf(addr), actor.slice(4));
  return addr;
}

export default async function runActor(task: ActorTask): Promise<ActorTaskResult> {
  const kinds = await loadKinds(task.kindsModule);
  const peers = new Map<string, MessagePort>(Object.entries(task.peers));
  const outbox = new Map<MessagePort, Envelope[]>();
  const events: [string, number, EventPayload][] = [];
  let faults: LinkFaults = task.faults;
  const isActive = (f: LinkFaults) => f.groups !== null || f.cuts.length > 0 || f.dropRatio > 0 || f.duplicateRatio > 0 || f.reorderRatio > 0 || Object.keys(f.slowMs).length > 0;
  let faultsActive = isActive(faults);
  /** Where each destination address is served from, computed once per address. */
  const routes = new Map<string, { readonly toNode: string; readonly key: string; readonly external: boolean }>();
  const rng = new Rng(task.seed ^ 0x5eed);
  let flushScheduled = false;
  let delivered = 0;
  let posted = 0;
  let batches = 0;
  /** Envelopes handed to each destination node (the lab's per-link rates; at most one key per node). */
  const sentTo: Record<string, number> = {};
  let finished = false;
  let finish!: (r: ActorTaskResult) => void;
  const done = new Promise<ActorTaskResult>((r) => (finish = r));
  const disk = task.dataDir !== null ? new FsDisk(join(task.dataDir, task.node)) : undefined;
  const real = realClock();
  const gate = new NodeFaultGate(task.nodeFaults, real);

  const flush = () => {
    flushScheduled = false;
    for (const [port, b] of outbox) {
      // Bounded posts: small batches stay in the receiver's young generation and keep latency even.
      for (let i = 0; i < b.length; i += postBatchMax) {
        const part = b.length <= postBatchMax ? b : b.slice(i, i + postBatchMax);
        port.postMessage({ t: 'env', b: part } satisfies PortFrame);
        batches++;
      }
      posted += b.length;
    }
    outbox.clear();
    if (events.length > 0) {
      task.gateway.postMessage({ t: 'ev', b: events.splice(0) } satisfies PortFrame);
    }
  };
  const scheduleFlush = () => {
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flush);
    }
  };
  const enqueue = (port: MessagePort, env: Envelope) => {
    let b = outbox.get(port);
    if (b === undefined) outbox.set(port, (b = []));
    if (b.length >= outboxMax) return;
    b.push(env);
    scheduleFlush();
  };
  const reorder = new ReorderLinks<MessagePort, Envelope>(enqueue);

  const host: Host = new Host({
    node: task.node,
    hostId: task.name,
    clock: gate.clock(),
    seed: task.seed,
    kinds,
    io: disk !== undefined ? { disk: gate.disk(disk) } : {},
    // stamped with the real clock, not the node's (possibly skewed) one
    emit: (node, _time, ev) => {
      events.push([node, real.now(), ev]);
      scheduleFlush();
    },
    outbound: (env) => {
      let route = routes.get(env.to);
      if (route === undefined) {
        const toNode = nodeOf(env.to);
        route = { toNode, key: portKey(env.to), external: toNode.startsWith('$') };
        if (routes.size < routesCacheMax) routes.set(env.to, route);
      }
      const { toNode, key, external } = route;
      const port = peers.get(key) ?? (external ? task.gateway : undefined);
      const drop = (reason: string): void => {
        events.push([task.node, Date.now(), { type: 'MessageDropped', from: env.from, to: env.to, msgType: env.msg.type, reason }]);
        scheduleFlush();
      };
      if (port === undefined) return drop('no route');
      const betweenNodes = faultsActive && !external && toNode !== task.node;
      if (betweenNodes) {
        if (linkCut(faults, task.node, toNode)) return drop('partition');
        if (rng.chance(faults.dropRatio)) return drop('drop');
        const slowMs = faults.slowMs[toNode] ?? 0;
        if (slowMs > 0) return void setTimeout(() => enqueue(port, env), slowMs);
        if (faults.duplicateRatio > 0 && rng.chance(faults.duplicateRatio)) enqueue(port, env);
      }
      sentTo[toNode] = (sentTo[toNode] ?? 0) + 1;
      // a reordered envelope is held back until the next one on its link has gone
      if (betweenNodes && faults.reorderRatio > 0) reorder.pass(port, env, rng.chance(faults.reorderRatio));
      else enqueue(port, env);
    },
    onEscalate: (actor, err) => end({ reason: `escalated: ${actor}: ${String(err)}` }, true),
    onStopped: (_actor, reason) => end({ reason }, false),
  });

  const onFrame = (f: PortFrame) => {
    if (f.t !== 'env') return;
    gate.run(() => {
      for (const env of f.b) {
        delivered++;
        host.deliver(env);
      }
    });
  };
  const listen = (port: MessagePort) => {
    port.on('message', onFrame);
  };
  // Spawn first: anything already queued on the ports is for this actor.
  host.spawn(task.name, task.kind, task.args);
  for (const p of peers.values()) listen(p);
  listen(task.gateway);

  function end(r: ActorTaskResult, crash: boolean): void {
    if (finished) return;
    finished = true;
    if (crash) host.crash(r.reason);
    reorder.clear();
    flush();
    setImmediate(() => {
      for (const p of peers.values()) p.close();
      // The control port stays open: the driver closes it once it has the last comlink reply.
      task.gateway.close();
      disk?.close();
      finish(r);
    });
  }

  const control: ActorControl = {
    setFaults: (f) => {
      faults = f;
      faultsActive = isActive(f);
    },
    setNodeFaults: (f) => gate.set(f),
    connect: (addr, port) => {
      peers.get(addr)?.close();
      peers.set(addr, port);
      listen(port);
    },
    crash: (reason) => end({ reason: `crashed: ${reason}` }, true),
    stop: (reason) => {
      host.stopAll(reason);
      end({ reason }, false);
    },
    stats: () => ({ delivered, posted, batches, deadLetters: host.deadLetters }),
    inspect: () => {
      const i = host.inspect(task.name);
      return { mailbox: i?.mailbox ?? 0, restarts: i?.restarts ?? 0, state: i?.state ?? null, sentTo: { ...sentTo } };
    },
  };
  expose(control, nodeEndpoint(task.control));
  task.gateway.postMessage({ t: 'ready' } satisfies PortFrame);
  const r = await done;
  if (r.reason.startsWith('escalated')) throw new Error(r.reason);
  return r;
}
