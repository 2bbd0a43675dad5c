/**
 * Test-only ZkBackend: a tiny in-memory tree (no ACLs, no replication) with one-shot data/child watches, enough to
 * drive ZkConnection and real clients in tests. The real backend is the replicated tree.
 */
import type { BackendReply, ConnectResult, ZkBackend, ZkConnection } from '../../src/servers/zookeeper/index.js';
import {
  CreateMode,
  Err,
  EventType,
  failedMultiResults,
  type ConnectRequest,
  type MultiResult,
  type Stat,
  type ZkRequest,
  type ZkResponse,
} from '../../src/wire/jute/index.js';

interface Node {
  data: Uint8Array | null;
  czxid: bigint;
  mzxid: bigint;
  pzxid: bigint;
  version: number;
  cversion: number;
  owner: bigint;
  children: Set<string>;
  seq: number;
}

class Fail extends Error {
  constructor(readonly err: number) {
    super(`err ${err}`);
  }
}

const parentOf = (p: string) => (p.lastIndexOf('/') === 0 ? '/' : p.slice(0, p.lastIndexOf('/')));

export class MemoryBackend implements ZkBackend {
  zxid = 0n;
  nodes = new Map<string, Node>();
  sessions = new Map<bigint, { passwd: Uint8Array; timeOut: number }>();
  private nextSession = 0x0100000000000000n + 1n;
  dataWatches = new Map<string, Set<ZkConnection>>();
  childWatches = new Map<string, Set<ZkConnection>>();
  touched = 0;
  disconnects = 0;
  /** Optional per-request delay, ms (to make replies settle out of order). */
  delayMs: (req: ZkRequest) => number = () => 0;

  constructor() {
    this.nodes.set('/', this.node(null, 0n));
  }

  private node(data: Uint8Array | null, owner: bigint): Node {
    return { data, czxid: this.zxid, mzxid: this.zxid, pzxid: this.zxid, version: 0, cversion: 0, owner, children: new Set(), seq: 0 };
  }

  stat(n: Node): Stat {
    return {
      czxid: n.czxid,
      mzxid: n.mzxid,
      ctime: 0n,
      mtime: 0n,
      version: n.version,
      cversion: n.cversion,
      aversion: 0,
      ephemeralOwner: n.owner,
      dataLength: n.data?.length ?? 0,
      numChildren: n.children.size,
      pzxid: n.pzxid,
    };
  }

  async connect(req: ConnectRequest): Promise<ConnectResult> {
    if (req.lastZxidSeen > this.zxid) return { kind: 'refused', reason: 'client has seen a newer zxid' };
    if (req.sessionId !== 0n) {
      const s = this.sessions.get(req.sessionId);
      if (!s) return { kind: 'expired' };
      return { kind: 'accepted', sessionId: req.sessionId, timeOut: s.timeOut, passwd: s.passwd };
    }
    const sessionId = this.nextSession++;
    const passwd = new Uint8Array(16).fill(Number(sessionId & 0xffn));
    const timeOut = Math.max(4000, Math.min(req.timeOut, 40000));
    this.sessions.set(sessionId, { passwd, timeOut });
    return { kind: 'accepted', sessionId, timeOut, passwd };
  }

  touch(): void {
    this.touched++;
  }
  lastZxid(): bigint {
    return this.zxid;
  }
  disconnected(_sessionId: bigint, conn: ZkConnection): void {
    this.disconnects++;
    for (const m of [this.dataWatches, this.childWatches]) for (const s of m.values()) s.delete(conn);
  }

  private fire(map: Map<string, Set<ZkConnection>>, path: string, type: number): void {
    const s = map.get(path);
    if (!s) return;
    map.delete(path);
    for (const c of s) c.notify({ type, path }, this.zxid);
  }
  private watch(map: Map<string, Set<ZkConnection>>, path: string, conn: ZkConnection): void {
    let s = map.get(path);
    if (!s) map.set(path, (s = new Set()));
    s.add(conn);
  }

  async submit(sessionId: bigint, _xid: number, req: ZkRequest, conn: ZkConnection): Promise<BackendReply> {
    const d = this.delayMs(req);
    if (d > 0) await new Promise((r) => setTimeout(r, d));
    try {
      const response = this.apply(sessionId, req, conn);
      return { zxid: this.zxid, err: Err.OK, response };
    } catch (e) {
      if (e instanceof Fail) return { zxid: this.zxid, err: e.err };
      throw e;
    }
  }

  private get(path: string): Node {
    const n = this.nodes.get(path);
    if (!n) throw new Fail(Err.NONODE);
    return n;
  }

  private writeOp(sessionId: bigint, req: ZkRequest): { result: MultiResult; events: [Map<string, Set<ZkConnection>>, string, number][] } {
    switch (req.type) {
      case 'Create':
      case 'Create2': {
        const parentPath = parentOf(req.path);
        const parent = this.get(parentPath);
        let path = req.path;
        if (req.flags === CreateMode.PERSISTENT_SEQUENTIAL || req.flags === CreateMode.EPHEMERAL_SEQUENTIAL) {
          path += String(parent.seq).padStart(10, '0');
        }
        if (this.nodes.has(path)) throw new Fail(Err.NODEEXISTS);
        this.zxid++;
        parent.seq++;
        const ephemeral = req.flags === CreateMode.EPHEMERAL || req.flags === CreateMode.EPHEMERAL_SEQUENTIAL;
        const n = this.node(req.data, ephemeral ? sessionId : 0n);
        this.nodes.set(path, n);
        parent.children.add(path.slice(parentPath === '/' ? 1 : parentPath.length + 1));
        parent.cversion++;
        parent.pzxid = this.zxid;
        const result: MultiResult = req.type === 'Create' ? { type: 'Create', path } : { type: 'Create2', path, stat: this.stat(n) };
        return { result, events: [[this.dataWatches, path, EventType.NodeCreated], [this.childWatches, parentPath, EventType.NodeChildrenChanged]] };
      }
      case 'Delete': {
        const n = this.get(req.path);
        if (req.version !== -1 && req.version !== n.version) throw new Fail(Err.BADVERSION);
        if (n.children.size > 0) throw new Fail(Err.NOTEMPTY);
        this.zxid++;
        this.nodes.delete(req.path);
        const parentPath = parentOf(req.path);
        const parent = this.get(parentPath);
        parent.children.delete(req.path.slice(parentPath === '/' ? 1 : parentPath.length + 1));
        parent.cversion++;
        parent.pzxid = this.zxid;
        return {
          result: { type: 'Delete' },
          events: [[this.dataWatches, req.path, EventType.NodeDeleted], [this.childWatches, req.path, EventType.NodeDeleted], [this.childWatches, parentPath, EventType.NodeChildrenChanged]],
        };
      }
      case 'SetData': {
        const n = this.get(req.path);
        if (req.version !== -1 && req.version !== n.version) throw new Fail(Err.BADVERSION);
        this.zxid++;
        n.data = req.data;
        n.version++;
        n.mzxid = this.zxid;
        return { result: { type: 'SetData', stat: this.stat(n) }, events: [[this.dataWatches, req.path, EventType.NodeDataChanged]] };
      }
      case 'Check': {
        const n = this.get(req.path);
        if (req.version !== -1 && req.version !== n.version) throw new Fail(Err.BADVERSION);
        return { result: { type: 'Check' }, events: [] };
      }
      default:
        throw new Fail(Err.UNIMPLEMENTED);
    }
  }

  private apply(sessionId: bigint, req: ZkRequest, conn: ZkConnection): ZkResponse {
    switch (req.type) {
      case 'Create':
      case 'Create2':
      case 'Delete':
      case 'SetData': {
        const { result, events } = this.writeOp(sessionId, req);
        for (const [m, p, t] of events) this.fire(m, p, t); // notify before the reply resolves
        if (result.type === 'Delete' || result.type === 'Check' || result.type === 'Error') return { type: 'Empty' };
        return result as ZkResponse;
      }
      case 'Multi': {
        const snapshot = new Map([...this.nodes].map(([k, n]) => [k, { ...n, children: new Set(n.children) }]));
        const zxid0 = this.zxid;
        const results: MultiResult[] = [];
        const events: [Map<string, Set<ZkConnection>>, string, number][] = [];
        for (let i = 0; i < req.ops.length; i++) {
          try {
            const r = this.writeOp(sessionId, req.ops[i]!);
            results.push(r.result);
            events.push(...r.events);
          } catch (e) {
            if (!(e instanceof Fail)) throw e;
            this.nodes = snapshot;
            this.zxid = zxid0 + 1n;
            return { type: 'Multi', results: failedMultiResults(req.ops.length, i, e.err) };
          }
        }
        for (const [m, p, t] of events) this.fire(m, p, t);
        return { type: 'Multi', results };
      }
      case 'Exists': {
        if (req.watch) this.watch(this.dataWatches, req.path, conn);
        return { type: 'Exists', stat: this.stat(this.get(req.path)) };
      }
      case 'GetData': {
        const n = this.get(req.path);
        if (req.watch) this.watch(this.dataWatches, req.path, conn);
        return { type: 'GetData', data: n.data, stat: this.stat(n) };
      }
      case 'GetChildren':
      case 'GetChildren2': {
        const n = this.get(req.path);
        if (req.watch) this.watch(this.childWatches, req.path, conn);
        const children = [...n.children].sort();
        return req.type === 'GetChildren' ? { type: 'GetChildren', children } : { type: 'GetChildren2', children, stat: this.stat(n) };
      }
      case 'Sync':
        return { type: 'Sync', path: req.path };
      case 'Auth':
      case 'SetWatches':
      case 'SetWatches2':
        return { type: 'Empty' };
      case 'CloseSession':
        this.sessions.delete(sessionId);
        return { type: 'Empty' };
      default:
        throw new Fail(Err.UNIMPLEMENTED);
    }
  }
}
