/**
 * One node's watch table, as a pure data structure (no IO, no clock): which session watches which path how, and
 * which sessions a change notifies. ZooKeeper's semantics (spec §9; `DataTree` + `watch/WatchManager`):
 *
 * - ZooKeeper keeps two tables. The data table holds getData/exists watches (one-shot), persistent and
 *   persistent-recursive watches; the child table holds getChildren watches (one-shot) and persistent ones.
 *   Here one entry per (path, session) holds a bit per registration, and the tables are masks over it.
 * - create P: NodeCreated(P) to the data table at P and to recursive watches on P's ancestors; then
 *   NodeChildrenChanged(parent) to the child table at the parent.
 * - setData P: NodeDataChanged(P) to the data table at P and recursive watches on ancestors.
 * - delete P: NodeDeleted(P) to the data table at P (and recursive on ancestors), then to the child table at P
 *   without notifying a session twice; then NodeChildrenChanged(parent).
 * - Recursive watches are only in the data table, so they never see NodeChildrenChanged.
 * - One notification per session per change, whatever mix of watches it holds; a firing consumes the session's
 *   one-shot watches that it matched and leaves persistent ones (the modes of one path coexist, as in ZooKeeper
 *   since 3.9; 3.8 let a one-shot watch replace a persistent one on the same path).
 */
import type { SessionId } from '../../protocol/txn.js';
import type { WatchRegistration, WatchedPath, WatcherType } from '../../protocol/zookeeper.js';

export type WatchEvent = 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged';

const bit: Readonly<Record<WatchRegistration, number>> = { data: 1, exists: 2, children: 4, persistent: 8, persistentRecursive: 16 };
const registrations: readonly WatchRegistration[] = ['data', 'exists', 'children', 'persistent', 'persistentRecursive'];
const oneShot = bit.data | bit.exists | bit.children;
const persistentBits = bit.persistent | bit.persistentRecursive;
/** ZooKeeper's data-watch table and child-watch table, as masks. */
const dataTable = bit.data | bit.exists | bit.persistent | bit.persistentRecursive;
const childTable = bit.children | bit.persistent;

/** Which registrations a checkWatches/removeWatches of each type matches. */
const typeMask: Readonly<Record<WatcherType, number>> = {
  children: bit.children,
  data: bit.data | bit.exists,
  any: dataTable | childTable,
  persistent: bit.persistent,
  persistentRecursive: bit.persistentRecursive,
};

/** Which registrations on the changed path itself an event notifies. */
const atPath: Readonly<Record<WatchEvent, number>> = {
  NodeCreated: dataTable,
  NodeDataChanged: dataTable,
  NodeDeleted: dataTable | childTable,
  NodeChildrenChanged: childTable,
};

export type AddResult = 'added' | 'present' | 'tableFull' | 'sessionFull';

function bits(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}

/** The strict ancestors of an absolute path, nearest first: `/a/b/c` → `/a/b`, `/a`, `/`. */
export function* ancestorsOf(path: string): Generator<string> {
  if (!path.startsWith('/') || path === '/') return;
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) yield path.slice(0, i);
  yield '/';
}

/** Adds `delta` to a counter in a map, dropping it at zero. */
function count<K>(m: Map<K, number>, k: K, delta: number): void {
  const n = (m.get(k) ?? 0) + delta;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

export interface WatchTableLimits {
  /** Watch registrations on the node, at most (one-shot ones beyond it are not set). */
  readonly registrationsMax: number;
  /** Persistent and persistent-recursive watches one session may hold on the node, at most. */
  readonly persistentPerSessionMax: number;
}

export class WatchTable {
  /** path → session → registration bits. */
  private readonly byPath = new Map<string, Map<SessionId, number>>();
  /** session → the paths it watches (to drop a session without a scan). */
  private readonly bySession = new Map<SessionId, Set<string>>();
  private readonly persistentOf = new Map<SessionId, number>();
  private recursiveCount = 0;
  /** Watch registrations (set bits) in the table. */
  private registrations = 0;
  /** Data-table entries per path and per session, and their total (wchs, kept as entries change). */
  private readonly dataPerPath = new Map<string, number>();
  private readonly dataPerSession = new Map<SessionId, number>();
  private dataEntries = 0;

  constructor(private readonly limits: WatchTableLimits) {}

  /** Registrations held (a getData and an exists watch on one path by one session count two). */
  get size(): number {
    return this.registrations;
  }

  add(path: string, sessionId: SessionId, kind: WatchRegistration): AddResult {
    const b = bit[kind];
    const mask = this.byPath.get(path)?.get(sessionId) ?? 0;
    if ((mask & b) !== 0) return 'present';
    if (this.registrations >= this.limits.registrationsMax) return 'tableFull';
    if ((b & persistentBits) !== 0 && (this.persistentOf.get(sessionId) ?? 0) >= this.limits.persistentPerSessionMax) return 'sessionFull';
    this.set(path, sessionId, mask, mask | b);
    return 'added';
  }

  /** Whether the session holds a watch of `type` on `path`. */
  has(path: string, sessionId: SessionId, type: WatcherType): boolean {
    return ((this.byPath.get(path)?.get(sessionId) ?? 0) & typeMask[type]) !== 0;
  }

  /** Removes the session's watches of `type` on `path`; false when it held none. */
  remove(path: string, sessionId: SessionId, type: WatcherType): boolean {
    const mask = this.byPath.get(path)?.get(sessionId) ?? 0;
    if ((mask & typeMask[type]) === 0) return false;
    this.set(path, sessionId, mask, mask & ~typeMask[type]);
    return true;
  }

  /** Drops every watch of the session (closed, expired, or its connection to this node ended). */
  dropSession(sessionId: SessionId): void {
    const paths = this.bySession.get(sessionId);
    if (paths === undefined) return;
    for (const path of [...paths]) this.set(path, sessionId, this.byPath.get(path)?.get(sessionId) ?? 0, 0);
  }

  /** The sessions a change notifies, each once; their matched one-shot watches are consumed. */
  trigger(path: string, event: WatchEvent): SessionId[] {
    const notified = new Set<SessionId>();
    const at = this.byPath.get(path);
    if (at !== undefined) {
      const match = atPath[event];
      // Map iteration tolerates the updates and deletions `set` makes to the entry being visited.
      for (const [sessionId, mask] of at) {
        if ((mask & match) === 0) continue;
        notified.add(sessionId);
        if ((mask & match & oneShot) !== 0) this.set(path, sessionId, mask, mask & ~(match & oneShot));
      }
    }
    if (event !== 'NodeChildrenChanged' && this.recursiveCount > 0) {
      for (const a of ancestorsOf(path)) {
        const m = this.byPath.get(a);
        if (m === undefined) continue;
        for (const [sessionId, mask] of m) if ((mask & bit.persistentRecursive) !== 0) notified.add(sessionId);
      }
    }
    return [...notified];
  }

  /**
   * ZooKeeper's `wchs` counts over its data table: sessions with a data-table watch, paths in it, and
   * (session, path) pairs in it.
   */
  summary(): { readonly sessions: number; readonly paths: number; readonly total: number } {
    return { sessions: this.dataPerSession.size, paths: this.dataPerPath.size, total: this.dataEntries };
  }

  /** Every path's watches, up to `entriesMax` (session, path) entries. */
  report(entriesMax: number): { readonly watches: WatchedPath[]; readonly truncated: boolean } {
    const watches: WatchedPath[] = [];
    let entries = 0;
    for (const [path, m] of this.byPath) {
      const sessions: { sessionId: SessionId; kinds: WatchRegistration[] }[] = [];
      for (const [sessionId, mask] of m) {
        if (entries >= entriesMax) {
          if (sessions.length > 0) watches.push({ path, sessions });
          return { watches, truncated: true };
        }
        entries++;
        sessions.push({ sessionId, kinds: registrations.filter((k) => (mask & bit[k]) !== 0) });
      }
      watches.push({ path, sessions });
    }
    return { watches, truncated: false };
  }

  /** The one place entries change: keeps the indexes and counters in step. */
  private set(path: string, sessionId: SessionId, was: number, now: number): void {
    if (was === now) return;
    this.registrations += bits(now) - bits(was);
    const persistentDelta = bits(now & persistentBits) - bits(was & persistentBits);
    if (persistentDelta !== 0) {
      count(this.persistentOf, sessionId, persistentDelta);
    }
    this.recursiveCount += (now & bit.persistentRecursive ? 1 : 0) - (was & bit.persistentRecursive ? 1 : 0);
    const dataDelta = (now & dataTable ? 1 : 0) - (was & dataTable ? 1 : 0);
    if (dataDelta !== 0) {
      this.dataEntries += dataDelta;
      count(this.dataPerPath, path, dataDelta);
      count(this.dataPerSession, sessionId, dataDelta);
    }
    let m = this.byPath.get(path);
    let paths = this.bySession.get(sessionId);
    if (now === 0) {
      m?.delete(sessionId);
      if (m !== undefined && m.size === 0) this.byPath.delete(path);
      paths?.delete(path);
      if (paths !== undefined && paths.size === 0) this.bySession.delete(sessionId);
      return;
    }
    if (m === undefined) this.byPath.set(path, (m = new Map()));
    m.set(sessionId, now);
    if (paths === undefined) this.bySession.set(sessionId, (paths = new Set()));
    paths.add(path);
  }
}

/** Whether a path's registrations put it in ZooKeeper's data-watch table (what wchc/wchp list). */
export function inDataTable(kinds: readonly WatchRegistration[]): boolean {
  return kinds.some((k) => (bit[k] & dataTable) !== 0);
}

