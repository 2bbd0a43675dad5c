/**
 * Real network partitions for the tcp runtime (docs/lab.md, "Network namespaces"): each node process runs in its
 * own network namespace, joined by a veth pair to one bridge per run (addresses 10.77.0.x/24, reachable only
 * inside the namespaces made here: the bridge has no address and the root namespace routes nothing to it).
 * Partitions and one-way cuts become blackhole routes in the senders' namespaces (`ip route`, no iptables/nft
 * needed); heal removes them. Needs root and `ip netns`; `netnsUnavailable()` says why not.
 *
 * Every name carries the owning process id (`cnlv-<pid>-<k>-<node>`, bridge `cnb<pid base 36><k>`): a run removes
 * its namespaces and bridge on close and at process exit, and each start removes those of processes that are gone
 * (with no process left inside them).
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { Fault, LinkFaults } from '../../protocol/faults.js';
import { applyFault, linkCut, noLinkFaults } from '../../protocol/faults.js';
import type { PeerAddress } from './transport.js';

const run = promisify(execFile);

/** Prefix of every namespace this module makes. */
export const netnsPrefix = 'cnlv-';
/** Prefix of every bridge (interface names are at most 15 bytes: `cnb`, 5 base-36 digits of the pid, 1 of the run). */
export const bridgePrefix = 'cnb';
/** The port every node listens on, in its own namespace. */
export const netnsPeerPort = 7000;
/** Nodes one namespaced run may hold (addresses 10.77.0.1 .. 10.77.0.250). */
export const netnsNodesMax = 250;
/** How long one `ip` command may take. */
export const ipCommandTimeoutMs = 10_000;

const pidWidth = 5;
let runsInProcess = 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const ip = (args: readonly string[]) => run('ip', args, { timeout: ipCommandTimeoutMs });
const ipSync = (args: readonly string[]) => execFileSync('ip', args, { timeout: ipCommandTimeoutMs, stdio: ['ignore', 'pipe', 'ignore'] }).toString();

/** Null when this machine lets us make network namespaces, else the reason it does not. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `${netnsPrefix}probe-${process.pid}`;
  try {
    ipSync(['netns', 'add', probe]);
    ipSync(['netns', 'del', probe]);
    return null;
  } catch (e) {
    return `'ip netns add' failed: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** Removes namespaces and bridges left by processes that are gone (a crash, a SIGKILL). Returns what it removed. */
export function removeStaleNetns(): string[] {
  const removed: string[] = [];
  let list = '';
  try {
    list = ipSync(['netns', 'list']);
  } catch {
    return removed;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^cnlv-(?:probe-)?(\d+)(?:-|$)/.exec(name);
    if (m === null || alive(Number(m[1]))) continue;
    try {
      // a process still inside it (seen from another pid namespace, say) keeps it
      if (ipSync(['netns', 'pids', name]).trim().length > 0) continue;
      ipSync(['netns', 'del', name]);
      removed.push(name);
    } catch {
      // gone meanwhile
    }
  }
  let links = '';
  try {
    links = ipSync(['-o', 'link', 'show', 'type', 'bridge']);
  } catch {
    return removed;
  }
  for (const m of links.matchAll(/^\d+: (cnb[0-9a-z]{6})[:@]/gm)) {
    const name = m[1]!;
    if (alive(Number.parseInt(name.slice(bridgePrefix.length, bridgePrefix.length + pidWidth), 36))) continue;
    try {
      ipSync(['link', 'del', name]);
      removed.push(name);
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}

/** One run's namespaces, bridge and blackhole routes. */
export class NetnsNetwork {
  readonly addresses: Readonly<Record<string, PeerAddress>>;
  private readonly ns = new Map<string, string>();
  private readonly bridge: string;
  private links: LinkFaults = noLinkFaults;
  /** Blackholed pairs in force, `from>to`. */
  private cut = new Set<string>();
  private readonly onExit = () => this.removeSync();
  private closed = false;

  private constructor(readonly nodes: readonly string[]) {
    const k = runsInProcess++;
    this.bridge = `${bridgePrefix}${process.pid.toString(36).padStart(pidWidth, '0').slice(-pidWidth)}${(k % 36).toString(36)}`;
    const addresses: Record<string, PeerAddress> = {};
    nodes.forEach((n, i) => {
      this.ns.set(n, `${netnsPrefix}${process.pid}-${k}-${n}`);
      addresses[n] = { host: `10.77.0.${i + 1}`, port: netnsPeerPort };
    });
    this.addresses = addresses;
  }

  /** Makes the namespaces, veth pairs and bridge (after removing stale ones); throws if the machine refuses. */
  static async create(nodes: readonly string[]): Promise<NetnsNetwork> {
    if (nodes.length > netnsNodesMax) throw new Error(`at most ${netnsNodesMax} nodes in network namespaces`);
    removeStaleNetns();
    const net = new NetnsNetwork(nodes);
    process.on('exit', net.onExit);
    try {
      await ip(['link', 'add', net.bridge, 'type', 'bridge']);
      await ip(['link', 'set', net.bridge, 'up']);
      for (const [i, node] of nodes.entries()) {
        const ns = net.ns.get(node)!;
        const host = `${net.bridge.replace(bridgePrefix, 'cnv')}${i}`.slice(0, 15);
        const peer = `${host}p`.slice(0, 15);
        await ip(['netns', 'add', ns]);
        await ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
        await ip(['link', 'set', peer, 'netns', ns]);
        await ip(['-n', ns, 'link', 'set', peer, 'name', 'eth0']);
        await ip(['-n', ns, 'addr', 'add', `${net.addresses[node]!.host}/24`, 'dev', 'eth0']);
        await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
        await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
        await ip(['link', 'set', host, 'master', net.bridge]);
        await ip(['link', 'set', host, 'up']);
      }
    } catch (e) {
      net.removeSync();
      throw e;
    }
    return net;
  }

  /** The namespace a node runs in. */
  namespaceOf(node: string): string {
    const ns = this.ns.get(node);
    if (ns === undefined) throw new Error(`unknown node '${node}'`);
    return ns;
  }

  /** The command line that starts `argv` inside a node's namespace. */
  command(node: string, argv: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.namespaceOf(node), ...argv]];
  }

  /** A partition, cut or heal as blackhole routes: each node drops what it would send to a node cut off from it. */
  async apply(f: Extract<Fault, { kind: 'partition' | 'cut' | 'heal' }>): Promise<void> {
    this.links = applyFault(this.links, f);
    const want = new Set<string>();
    for (const a of this.nodes) for (const b of this.nodes) if (linkCut(this.links, a, b)) want.add(`${a}>${b}`);
    const route = (pair: string, verb: 'replace' | 'del') => {
      const [a, b] = pair.split('>') as [string, string];
      return ip(['-n', this.namespaceOf(a), 'route', verb, 'blackhole', `${this.addresses[b]!.host}/32`]);
    };
    for (const pair of this.cut) if (!want.has(pair)) await route(pair, 'del');
    for (const pair of want) if (!this.cut.has(pair)) await route(pair, 'replace');
    this.cut = want;
  }

  /** The blackhole routes in a node's namespace (tests). */
  async blackholes(node: string): Promise<string[]> {
    const { stdout } = await ip(['-n', this.namespaceOf(node), 'route', 'show', 'type', 'blackhole']);
    return stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  }

  /** Removes the namespaces (their veth ends go with them) and the bridge. */
  close(): void {
    this.removeSync();
  }

  private removeSync(): void {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.onExit);
    for (const ns of this.ns.values()) {
      try {
        ipSync(['netns', 'del', ns]);
      } catch {
        // not made, or gone
      }
    }
    try {
      ipSync(['link', 'del', this.bridge]);
    } catch {
      // not made, or gone
    }
  }
}
