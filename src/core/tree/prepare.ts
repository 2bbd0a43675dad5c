import {
  CreateMode,
  Err,
  Perms,
  type Acl,
  type ErrCode,
  type NodeKind,
  type SessionId,
  type Txn,
  type TxnBody,
  type TxnOp,
  type WriteOpRequest,
  type WriteRequest,
  type Zxid,
} from '../../protocol/txn.js';
import { anonymous, fixupAcl, permitted, type AuthInfo } from './acl.js';
import { childPath, nameOf, parentOf, pathError, sequenceSuffix, specialPaths } from './path.js';
import { sessionSecretBytesMax, type DataTree } from './tree.js';

/** TTL bound (spec §5): 0x000000ffffffffff ms. */
export const ttlMsMax = 0xff_ffff_ffff;

export interface PrepareCtx {
  /** The zxid this txn takes. */
  readonly zxid: Zxid;
  /** The time logged with the request (ms since epoch): ctime/mtime and session times come from it. */
  readonly timeMs: number;
  /** The issuing session (0 for internal requests such as DeleteContainer). */
  readonly sessionId: SessionId;
  readonly cxid: number;
  readonly auth?: AuthInfo;
  /** The server id the client's request arrived at; a session owned by another server gets SESSIONMOVED. */
  readonly origin?: number;
}

export interface PrepareOptions {
  /** zookeeper.extendedTypesEnabled: TTL nodes allowed (default true). */
  readonly extendedTypesEnabled?: boolean;
}

/** The fields validation needs, for a node as it is (or will be after the request's earlier ops). */
interface PNode {
  readonly version: number;
  readonly aversion: number;
  readonly cversion: number;
  readonly numChildren: number;
  readonly kind: NodeKind;
  readonly owner: number;
  readonly acl: readonly Acl[];
  readonly mtime: number;
}

/**
 * A client's write → the final txn, validated against the tree as it is at the txn's zxid (ZooKeeper's
 * PrepRequestProcessor, run by every replica at apply time: storage calls it for each committed `Request`, just
 * before `tree.apply`, so every replica reaches the same result). A failed request becomes an `Error` txn.
 * Deterministic: everything comes from the tree and ctx.
 */
export function prepare(tree: DataTree, req: WriteRequest, ctx: PrepareCtx, opts: PrepareOptions = {}): Txn {
  const w = new Work(tree, ctx, opts.extendedTypesEnabled ?? true);
  const body = prepareBody(req, w);
  const sessionId = req !== null && typeof req === 'object' && req.type === 'CreateSession' && body.type === 'CreateSession' ? req.sessionId : ctx.sessionId;
  return { sessionId, cxid: ctx.cxid, zxid: ctx.zxid, timeMs: ctx.timeMs, body };
}

/** A committed txn as the tree applies it: a client's `Request` prepared at its zxid, any other txn as it is. */
export function prepareLogged(tree: DataTree, logged: Txn, opts: PrepareOptions = {}): Txn {
  const b = logged.body;
  if (b.type !== 'Request') return logged;
  return prepare(
    tree,
    b.request,
    {
      zxid: logged.zxid,
      timeMs: logged.timeMs,
      sessionId: logged.sessionId,
      cxid: logged.cxid,
      ...(b.auth !== undefined ? { auth: b.auth } : {}),
      ...(b.origin !== undefined ? { origin: b.origin.server } : {}),
    },
    opts,
  );
}

function prepareBody(req: WriteRequest, w: Work): TxnBody {
  if (req === null || typeof req !== 'object') return { type: 'Error', err: Err.BADARGUMENTS };
  switch (req.type) {
    case 'Create':
    case 'Delete':
    case 'SetData':
    case 'SetACL':
    case 'Check': {
      const s = w.checkSession();
      if (s !== Err.OK) return { type: 'Error', err: s };
      const op = prepareOp(req, w);
      return typeof op === 'number' ? { type: 'Error', err: op } : op;
    }
    case 'Multi': {
      const s = w.checkSession();
      if (s !== Err.OK) return { type: 'Error', err: s };
      if (!Array.isArray(req.ops)) return { type: 'Error', err: Err.BADARGUMENTS };
      const ops: TxnOp[] = [];
      for (let k = 0; k < req.ops.length; k++) {
        const op = prepareOp(req.ops[k]!, w);
        if (typeof op === 'number') {
          w.scratch.clear();
          w.sessions.clear();
          const errs: TxnOp[] = req.ops.map((_, j) => ({
            type: 'Error' as const,
            err: j < k ? Err.OK : j === k ? op : Err.RUNTIMEINCONSISTENCY,
          }));
          return { type: 'Multi', ops: errs };
        }
        ops.push(op);
      }
      return { type: 'Multi', ops };
    }
    case 'CreateSession': {
      if (!Number.isInteger(req.timeoutMs) || req.timeoutMs <= 0) return { type: 'Error', err: Err.BADARGUMENTS };
      const id = req.sessionId;
      // an integer below 2^64 (ZooKeeper's layout puts the server id in the high byte; older logs hold smaller ids)
      if (!Number.isInteger(id) || id <= 0 || id >= 2 ** 64 || w.sessionAlive(id)) return { type: 'Error', err: Err.BADARGUMENTS };
      w.sessions.set(id, true);
      const owner = w.ctx.origin;
      return owner === undefined ? { type: 'CreateSession', timeoutMs: req.timeoutMs } : { type: 'CreateSession', timeoutMs: req.timeoutMs, owner };
    }
    case 'MoveSession': {
      const id = w.ctx.sessionId;
      const owner = w.ctx.origin;
      if (id === 0 || owner === undefined) return { type: 'Error', err: Err.BADARGUMENTS };
      if (!w.sessionAlive(id)) return { type: 'Error', err: Err.SESSIONEXPIRED };
      return { type: 'MoveSession', owner };
    }
    case 'CloseSession': {
      const id = w.ctx.sessionId;
      if (id === 0) return { type: 'Error', err: Err.SESSIONEXPIRED };
      const s = w.checkSession();
      if (s !== Err.OK) return { type: 'Error', err: s };
      for (const p of w.ephemeralsOf(id)) w.remove(p);
      w.sessions.set(id, false);
      return { type: 'CloseSession' };
    }
    case 'DeleteContainer': {
      const path = req.path;
      if (pathError(path) !== null || specialPaths.has(path)) return { type: 'Error', err: Err.BADARGUMENTS };
      const n = w.get(path);
      if (n === undefined) return { type: 'Error', err: Err.NONODE };
      if (n.kind !== 'container' && n.kind !== 'ttl') return { type: 'Error', err: Err.BADARGUMENTS };
      if (n.numChildren > 0) return { type: 'Error', err: Err.NOTEMPTY };
      w.remove(path);
      return { type: 'DeleteContainer', path };
    }
    case 'SessionSecret': {
      const secret = req.secret;
      if (!(secret instanceof Uint8Array) || secret.length === 0 || secret.length > sessionSecretBytesMax) return { type: 'Error', err: Err.BADARGUMENTS };
      // the first secret committed stays: a later proposal logs (and applies) the one in effect
      return { type: 'SessionSecret', secret: w.tree.sessionSecret ?? secret };
    }
    default: {
      const _never: never = req;
      void _never;
      return { type: 'Error', err: Err.UNIMPLEMENTED };
    }
  }
}

/** One write op against the work view: a TxnOp (and its effect recorded in w.scratch) or an error code. */
function prepareOp(req: WriteOpRequest, w: Work): TxnOp | ErrCode {
  if (req === null || typeof req !== 'object') return Err.BADARGUMENTS;
  const auth = w.ctx.auth ?? anonymous;
  switch (req.type) {
    case 'Create': {
      const mode = req.mode;
      if (!Number.isInteger(mode) || mode < 0 || mode > 6) return Err.BADARGUMENTS;
      const isTtl = mode === CreateMode.PERSISTENT_WITH_TTL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
      const ttl = req.ttlMs ?? -1;
      if (isTtl) {
        if (!w.extendedTypes) return Err.UNIMPLEMENTED;
        if (!Number.isInteger(ttl) || ttl <= 0 || ttl > ttlMsMax) return Err.BADARGUMENTS;
      } else if (ttl !== -1 && ttl !== 0) return Err.BADARGUMENTS;
      const sequential = mode === 2 || mode === 3 || mode === 6;
      const kind: NodeKind = mode === 1 || mode === 3 ? 'ephemeral' : mode === 4 ? 'container' : isTtl ? 'ttl' : 'persistent';
      if (req.data !== null && !(req.data instanceof Uint8Array)) return Err.BADARGUMENTS;
      let path = req.path;
      // A sequential create may name only the parent ("/a/"); the suffix completes the name.
      if (typeof path !== 'string' || pathError(sequential && path.endsWith('/') ? `${path}x` : path) !== null) return Err.BADARGUMENTS;
      if (specialPaths.has(path)) return Err.BADARGUMENTS;
      const acl = fixupAcl(req.acl, auth);
      if (typeof acl === 'number') return acl;
      const parentPath = parentOf(sequential && path.endsWith('/') ? `${path}x` : path);
      const parent = w.get(parentPath);
      if (parent === undefined) return Err.NONODE;
      if (!permitted(parent.acl, Perms.CREATE, auth)) return Err.NOAUTH;
      if (sequential) path = `${path}${sequenceSuffix(parent.cversion)}`;
      if (pathError(path) !== null) return Err.BADARGUMENTS;
      if (w.get(path) !== undefined) return Err.NODEEXISTS;
      if (parent.kind === 'ephemeral') return Err.NOCHILDRENFOREPHEMERALS;
      if (kind === 'ephemeral' && w.ctx.sessionId === 0) return Err.EPHEMERALONLOCALSESSION;
      const parentCversion = (parent.cversion + 1) | 0;
      w.put(parentPath, { ...parent, cversion: parentCversion, numChildren: parent.numChildren + 1 });
      const owner = kind === 'ephemeral' ? w.ctx.sessionId : 0;
      w.put(path, { version: 0, aversion: 0, cversion: 0, numChildren: 0, kind, owner: kind === 'ttl' ? ttl : owner, acl, mtime: w.ctx.timeMs });
      return { type: 'Create', path, data: req.data, acl, kind, ephemeralOwner: owner, ttlMs: kind === 'ttl' ? ttl : 0, parentCversion };
    }
    case 'Delete': {
      const path = req.path;
      if (typeof path !== 'string' || pathError(path) !== null || specialPaths.has(path)) return Err.BADARGUMENTS;
      if (!Number.isInteger(req.version)) return Err.BADARGUMENTS;
      const parent = w.get(parentOf(path));
      if (parent === undefined) return Err.NONODE;
      const n = w.get(path);
      if (n === undefined) return Err.NONODE;
      if (!permitted(parent.acl, Perms.DELETE, auth)) return Err.NOAUTH;
      if (req.version !== -1 && req.version !== n.version) return Err.BADVERSION;
      if (n.numChildren > 0) return Err.NOTEMPTY;
      w.remove(path);
      return { type: 'Delete', path };
    }
    case 'SetData': {
      const path = req.path;
      if (typeof path !== 'string' || pathError(path) !== null) return Err.BADARGUMENTS;
      if (!Number.isInteger(req.version) || (req.data !== null && !(req.data instanceof Uint8Array))) return Err.BADARGUMENTS;
      const n = w.get(path);
      if (n === undefined) return Err.NONODE;
      if (!permitted(n.acl, Perms.WRITE, auth)) return Err.NOAUTH;
      if (req.version !== -1 && req.version !== n.version) return Err.BADVERSION;
      const version = (n.version + 1) | 0;
      w.put(path, { ...n, version, mtime: w.ctx.timeMs });
      return { type: 'SetData', path, data: req.data, version };
    }
    case 'SetACL': {
      const path = req.path;
      if (typeof path !== 'string' || pathError(path) !== null) return Err.BADARGUMENTS;
      if (!Number.isInteger(req.version)) return Err.BADARGUMENTS;
      const n = w.get(path);
      if (n === undefined) return Err.NONODE;
      if (!permitted(n.acl, Perms.ADMIN, auth)) return Err.NOAUTH;
      const acl = fixupAcl(req.acl, auth);
      if (typeof acl === 'number') return acl;
      if (req.version !== -1 && req.version !== n.aversion) return Err.BADVERSION;
      const version = (n.aversion + 1) | 0;
      w.put(path, { ...n, aversion: version, acl });
      return { type: 'SetACL', path, acl, version };
    }
    case 'Check': {
      const path = req.path;
      if (typeof path !== 'string' || pathError(path) !== null) return Err.BADARGUMENTS;
      if (!Number.isInteger(req.version)) return Err.BADARGUMENTS;
      const n = w.get(path);
      if (n === undefined) return Err.NONODE;
      if (!permitted(n.acl, Perms.READ, auth)) return Err.NOAUTH;
      if (req.version !== -1 && req.version !== n.version) return Err.BADVERSION;
      return { type: 'Check', path };
    }
    default: {
      const _never: never = req;
      void _never;
      return Err.UNIMPLEMENTED;
    }
  }
}

/** One request's scratch layer over the tree (dropped if a multi fails). */
class Work {
  readonly scratch = new Map<string, PNode | null>();
  readonly sessions = new Map<SessionId, boolean>();
  constructor(
    readonly tree: DataTree,
    readonly ctx: PrepareCtx,
    readonly extendedTypes: boolean,
  ) {}

  sessionAlive(id: SessionId): boolean {
    return this.sessions.get(id) ?? this.tree.sessions.has(id);
  }

  /** The session's ephemerals as the request's earlier ops left them. */
  ephemeralsOf(id: SessionId): string[] {
    return [...(this.tree.ephemerals.get(id) ?? [])].filter((p) => this.get(p) !== undefined);
  }

  /** The issuing session is alive and, for a client's request, owned by the server it arrived at. */
  checkSession(): ErrCode {
    const id = this.ctx.sessionId;
    if (id === 0) return Err.OK;
    const s = this.sessions.get(id);
    if (s !== undefined) return s ? Err.OK : Err.SESSIONEXPIRED;
    if (!this.tree.sessions.has(id)) return Err.SESSIONEXPIRED;
    const owner = this.tree.sessionOwners.get(id);
    if (this.ctx.origin !== undefined && owner !== undefined && owner !== this.ctx.origin) return Err.SESSIONMOVED;
    return Err.OK;
  }

  get(path: string): PNode | undefined {
    const s = this.scratch.get(path);
    if (s !== undefined) return s ?? undefined;
    if (this.scratch.has(path)) return undefined;
    const f = this.tree.fields(path);
    if (f === undefined) return undefined;
    return { version: f.version, aversion: f.aversion, cversion: f.cversion, numChildren: f.numChildren, kind: f.kind, owner: f.owner, acl: f.acl, mtime: f.mtime };
  }

  put(path: string, n: PNode): void {
    this.scratch.set(path, n);
  }

  remove(path: string): void {
    const parentPath = parentOf(path);
    const parent = this.get(parentPath);
    if (parent !== undefined) this.scratch.set(parentPath, { ...parent, numChildren: parent.numChildren - 1 });
    this.scratch.set(path, null);
  }
}

export { childPath, nameOf };
