/**
 * The ZooKeeper history checker (docs/lab.md, "Checker"; the method of /work/shared/spec/lab.md §2). ZooKeeper
 * stamps its answers: a write's reply carries its zxid, a read's Stat the mzxid and version of the value read, and
 * a reply header the zxid of the state that answered. Zxids totally order the writes, so no search is needed:
 * every check is a sort and a sweep, O(n log n).
 *
 *  - values: a read names its writer (written values are unique per path); the read's mzxid and version are the
 *    writer's; no read of a failed write, of a value never written, or of a write begun after the read returned;
 *  - versions: per path, in zxid order, the create comes first with version 0 and each setData has a larger
 *    version; each version skipped is matched to a setData of unknown outcome called in time;
 *  - each stamped op gets the interval of states it may have been served at: a write exactly its zxid; a read its
 *    `stateZxid`, or else [its mzxid .. the next write to its path);
 *  - sequential consistency per session: a session's ops, in call order (ZooKeeper's FIFO order), never go back
 *    in state (it reads its own writes, never older state than it saw before, nor a write it has not sent yet);
 *  - linearizable writes and sync-then-reads: nothing older than what any op (an acknowledged write, any read)
 *    showed committed before the op began;
 *  - no op sees a write begun after it returned (plain reads included);
 *  - zxids are unique.
 *
 * A write of unknown outcome is placed where a read saw it (its zxid and version are the read's) and treated as
 * never applied otherwise; reads of unknown outcome tell nothing. A read of a missing znode (no Stat) was served
 * before the path's first create, unless the history deletes the path or has multis (then it tells nothing). The
 * checker can miss an anomaly, never report a false one.
 * Plain reads are only sequentially consistent, as in ZooKeeper, so a plain read may lag other sessions' writes.
 */
import type { ZkOp } from '../history.js';
import { describeOp, findingsMax, type Finding } from './finding.js';
import { checkPlaces, firstAfter, type Place } from './stamped.js';

/** A zxid as the history writes it: `0x` hex, `0x<epoch>_<counter>` or decimal; null when absent or unreadable. */
export function parseZxid(s: string | undefined): number | null {
  if (s === undefined) return null;
  const m = /^0x([0-9a-f]+)_([0-9a-f]+)$/i.exec(s);
  const n = m !== null ? parseInt(m[1]!, 16) * 2 ** 32 + parseInt(m[2]!, 16) : /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^\d+$/.test(s) ? Number(s) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

const writeOps: ReadonlySet<string> = new Set(['create', 'setData', 'delete', 'multi']);
export const isZkWrite = (o: ZkOp): boolean => writeOps.has(o.op);

/** A write with a zxid: its own, or the one the read that saw it showed (a write of unknown outcome). */
interface Stamped {
  readonly op: ZkOp;
  readonly zxid: number;
  /** +∞ for a write of unknown outcome: it was never acknowledged. */
  readonly returnMs: number;
}

const hex = (z: number): string => (Number.isFinite(z) ? `0x${z.toString(16)}` : '∞');

/**
 * The op with every field present, in one order: histories read from JSON come in many shapes, and property reads
 * on objects of many shapes are several times slower in V8 (megamorphic); one shape keeps the sweeps fast.
 */
function uniform(o: ZkOp): ZkOp {
  return {
    kind: 'zk',
    id: o.id,
    client: o.client,
    node: o.node,
    session: o.session,
    op: o.op,
    path: o.path,
    callMs: o.callMs,
    returnMs: o.returnMs,
    outcome: o.outcome,
    error: o.error,
    value: o.value,
    zxid: o.zxid,
    version: o.version,
    stateZxid: o.stateZxid,
    synced: o.synced,
  } as ZkOp;
}

/** Checks a ZooKeeper history (all paths together: zxids order writes across paths). */
export function checkZk(recorded: readonly ZkOp[]): Finding[] {
  const ops = recorded.map(uniform);
  const out: Finding[] = [];
  const report = (text: string, ...by: ZkOp[]): boolean => {
    if (out.length < findingsMax) out.push({ text, ops: by.map((o) => o.id) });
    return out.length >= findingsMax;
  };

  // 1. values: each read names its writer; place the writes of unknown outcome that reads saw
  const writersOf = new Map<string, Map<string, ZkOp[]>>();
  for (const o of ops) {
    if ((o.op !== 'create' && o.op !== 'setData') || typeof o.value !== 'string') continue;
    let byValue = writersOf.get(o.path);
    if (byValue === undefined) writersOf.set(o.path, (byValue = new Map()));
    const ws = byValue.get(o.value);
    if (ws === undefined) byValue.set(o.value, [o]);
    else ws.push(o);
  }
  const placed = new Map<number, { zxid: number; version: number | undefined; by: ZkOp }>();
  const readMzxid = new Float64Array(ops.length).fill(NaN); // by index in ops
  for (let i = 0; i < ops.length; i++) {
    const r = ops[i]!;
    if (isZkWrite(r) || r.outcome !== 'ok') continue;
    const rz = parseZxid(r.zxid);
    if (rz !== null) readMzxid[i] = rz;
    if (typeof r.value !== 'string') continue;
    const ws = writersOf.get(r.path)?.get(r.value);
    if (ws === undefined) {
      if (report(`${describeOp(r)} read a value never written to ${r.path}`, r)) return out;
      continue;
    }
    if (ws.length > 1) continue; // the generator's values were not unique: the read does not name its writer
    const w = ws[0]!;
    if (w.outcome === 'fail' && report(`${describeOp(r)} read the value of a failed write ${describeOp(w)}`, r, w)) return out;
    if (w.callMs > r.returnMs! && report(`${describeOp(r)} read the value of ${describeOp(w)}, begun after the read returned`, r, w)) return out;
    const p = placed.get(w.id);
    const wz = parseZxid(w.zxid) ?? p?.zxid ?? null;
    if (wz === null) {
      if (rz !== null) placed.set(w.id, { zxid: rz, version: r.version, by: r });
    } else if (rz !== null && rz !== wz) {
      if (report(`${describeOp(r)} read at mzxid ${hex(rz)} the value that ${describeOp(w)} wrote at ${hex(wz)}`, r, ...(p ? [p.by] : []), w)) return out;
    } else if (rz === null) readMzxid[i] = wz;
    const wv = w.version ?? p?.version;
    if (wv !== undefined && r.version !== undefined && wv !== r.version) {
      if (report(`${describeOp(r)} read version ${r.version} of the value that ${describeOp(w)} wrote as version ${wv}`, r, ...(p ? [p.by] : []), w)) return out;
    }
  }

  // 2. the stamped writes, in zxid order
  const stamped: Stamped[] = [];
  for (const o of ops) {
    if (!isZkWrite(o)) continue;
    const z = parseZxid(o.zxid) ?? placed.get(o.id)?.zxid ?? null;
    if (z !== null) stamped.push({ op: o, zxid: z, returnMs: o.outcome === 'unknown' || o.returnMs === null ? Infinity : o.returnMs });
  }
  stamped.sort((a, b) => a.zxid - b.zxid);

  // 3. per path: the zxids of the writes that changed it, and their versions
  const changes = new Map<string, Stamped[]>();
  const gapsAllowed = new Map<string, number>();
  let multis = 0;
  for (const o of ops) {
    if (o.op === 'multi') multis++;
    if (o.op === 'setData' && o.outcome === 'unknown' && !placed.has(o.id)) gapsAllowed.set(o.path, (gapsAllowed.get(o.path) ?? 0) + 1);
  }
  for (const s of stamped) {
    if (s.op.outcome === 'fail' || s.op.op === 'multi') continue;
    const cs = changes.get(s.op.path);
    if (cs === undefined) changes.set(s.op.path, [s]);
    else cs.push(s);
  }
  /** Versions no answer showed, each to be filled by a setData of unknown outcome (checked in time below). */
  const missing: { path: string; version: number; nextZxid: number; next: ZkOp }[] = [];
  // the paths whose life the history does not show whole: deleted (deletes carry no zxid), written by a multi, or
  // written without values (a recorder that keeps only zxids, as the swarm's: sequential and ephemeral znodes)
  const unstampedPaths = new Set(ops.filter((o) => o.op === 'delete' || o.op === 'multi' || ((o.op === 'create' || o.op === 'setData') && typeof o.value !== 'string')).map((o) => o.path));
  if (multis > 0) for (const o of ops) unstampedPaths.add(o.path);
  for (const [path, cs] of changes) {
    // elsewhere one create, and it comes first in zxid order
    const creates = cs.filter((c) => c.op.op === 'create');
    if (!unstampedPaths.has(path) && creates.length > 0 && cs[0]!.op.op !== 'create') {
      if (report(`${describeOp(cs[0]!.op)} wrote ${path} at ${hex(cs[0]!.zxid)}, before ${describeOp(creates[0]!.op)} created it at ${hex(creates[0]!.zxid)}`, cs[0]!.op, creates[0]!.op)) return out;
    }
    if (!unstampedPaths.has(path) && creates.length > 1) {
      if (report(`${path} created twice with no delete: ${describeOp(creates[0]!.op)} and ${describeOp(creates[1]!.op)}`, creates[0]!.op, creates[1]!.op)) return out;
    }
    let prev: { s: Stamped; version: number } | null = null;
    let gaps = 0;
    for (const s of cs) {
      const version = s.op.version ?? placed.get(s.op.id)?.version;
      if (s.op.op === 'delete' || version === undefined) {
        prev = null;
        continue;
      }
      if (s.op.op === 'create' && version !== 0 && report(`${describeOp(s.op)} created ${path} with version ${version}, not 0`, s.op)) return out;
      if (s.op.op === 'setData' && prev !== null) {
        if (version <= prev.version) {
          if (report(`${describeOp(s.op)} wrote version ${version} of ${path} at ${hex(s.zxid)}, after ${describeOp(prev.s.op)} wrote version ${prev.version} at ${hex(prev.s.zxid)}`, prev.s.op, s.op)) return out;
        } else {
          for (let m = prev.version + 1; m < version; m++) missing.push({ path, version: m, nextZxid: s.zxid, next: s.op });
          gaps += version - prev.version - 1;
          if (gaps > (gapsAllowed.get(path) ?? 0) + multis) {
            if (report(`${describeOp(s.op)} wrote version ${version} of ${path} after version ${prev.version} (${describeOp(prev.s.op)}): more versions skipped than writes of unknown outcome could fill`, prev.s.op, s.op)) return out;
          }
        }
      }
      prev = { s, version };
    }
  }

  // 4. each stamped op's place in the write order, then the sweeps
  const places: Place[] = [];
  const nextChange = (path: string, z: number): number => {
    const cs = changes.get(path);
    if (cs === undefined) return Infinity;
    const i = firstAfter(cs, (c) => c.zxid, z);
    return i < cs.length ? cs[i]!.zxid : Infinity;
  };
  for (const s of stamped) places.push({ op: s.op, lo: s.zxid, below: s.zxid + 1, write: true, linearizable: true, session: s.op.session });
  // a read of a missing znode carries no Stat: it was served before the path's first create, as far as the
  // history tells (when the history deletes or multi-writes the path, it tells nothing)
  const firstCreate = new Map<string, number>();
  for (const s of stamped) if (s.op.op === 'create' && s.op.outcome !== 'fail' && !firstCreate.has(s.op.path)) firstCreate.set(s.op.path, s.zxid);
  for (let i = 0; i < ops.length; i++) {
    const r = ops[i]!;
    if (isZkWrite(r) || r.outcome !== 'ok') continue;
    const m = !Number.isNaN(readMzxid[i]!) ? readMzxid[i]! : r.value === null && r.zxid === undefined && !unstampedPaths.has(r.path) ? 0 : undefined;
    const below = m === undefined ? Infinity : m === 0 ? (firstCreate.get(r.path) ?? Infinity) : nextChange(r.path, m);
    const s = parseZxid(r.stateZxid);
    const linearizable = r.op === 'syncGetData' || r.synced === true;
    if (s !== null) {
      if (m !== undefined && (s < m || s >= below)) {
        if (report(`${describeOp(r)} was served at state ${hex(s)} but shows ${r.path} as last written at ${hex(m)}${below < Infinity ? `, rewritten at ${hex(below)}` : ''}`, r)) return out;
      }
      places.push({ op: r, lo: s, below: s + 1, write: false, linearizable, session: r.session });
    } else if (m !== undefined) places.push({ op: r, lo: m, below, write: false, linearizable, session: r.session });
  }
  if (out.length === 0) fillVersionGaps(ops, places, missing, placed, unstampedPaths, report);
  checkPlaces(places, (z) => `zxid ${hex(z)}`, out);
  return out;
}

/**
 * Each version a path skipped (between two versions answers showed) was made by a setData of unknown outcome on
 * the path that no read placed, called no later than the first answer that showed the next version or anything
 * after it (any op whose state is at or past that write's zxid) returned. Greedy in version order, whose deadlines
 * grow, as for counters (stamped.ts): exact. Paths the history does not show whole are left to the count above.
 */
function fillVersionGaps(
  ops: readonly ZkOp[],
  places: readonly Place[],
  missing: readonly { path: string; version: number; nextZxid: number; next: ZkOp }[],
  placed: ReadonlyMap<number, unknown>,
  unstampedPaths: ReadonlySet<string>,
  report: (text: string, ...by: ZkOp[]) => boolean,
): void {
  if (missing.length === 0) return;
  // the earliest return among answers at or past each state: by lo descending, a running minimum
  const answered = places.filter((p) => p.op.outcome === 'ok' && p.op.returnMs !== null).sort((a, b) => b.lo - a.lo);
  const minReturn: number[] = [];
  answered.forEach((p, i) => minReturn.push(Math.min(p.op.returnMs!, i > 0 ? minReturn[i - 1]! : Infinity)));
  const deadline = (z: number): number => {
    let lo = 0;
    let hi = answered.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (answered[mid]!.lo >= z) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? minReturn[lo - 1]! : Infinity;
  };
  const byPath = new Map<string, typeof missing[number][]>();
  for (const m of missing) {
    if (unstampedPaths.has(m.path)) continue;
    const l = byPath.get(m.path);
    if (l === undefined) byPath.set(m.path, [m]);
    else l.push(m);
  }
  for (const [path, gaps] of byPath) {
    const calls = ops.filter((o) => o.path === path && o.op === 'setData' && o.outcome === 'unknown' && !placed.has(o.id)).map((o) => o.callMs).sort((a, b) => a - b);
    gaps.sort((a, b) => a.version - b.version);
    for (let i = 0; i < gaps.length; i++) {
      const g = gaps[i]!;
      if (i < calls.length && calls[i]! <= deadline(g.nextZxid)) continue;
      report(`${describeOp(g.next)} shows ${path} past version ${g.version}, which no answer showed and no setData of unknown outcome called in time could have written`, g.next);
      return;
    }
  }
}

/** A watch set by a successful read, and a notification a session received (the simulation swarm records them). */
export interface WatchSet {
  readonly session: string;
  readonly path: string;
}
export interface WatchFired {
  readonly session: string;
  readonly path: string;
  readonly zxid: number;
  readonly atMs: number;
}

/** Watches fire at most once per setting, and each session's notifications come in zxid order. */
export function checkWatches(sets: readonly WatchSet[], fired: readonly WatchFired[]): string[] {
  const out: string[] = [];
  const armed = new Map<string, number>();
  for (const w of sets) armed.set(`${w.session} ${w.path}`, (armed.get(`${w.session} ${w.path}`) ?? 0) + 1);
  const last = new Map<string, WatchFired>();
  for (const f of fired) {
    const key = `${f.session} ${f.path}`;
    const left = armed.get(key) ?? 0;
    if (left <= 0) out.push(`watch on ${f.path} fired for session ${f.session} at ${hex(f.zxid)} (t=${f.atMs.toFixed(1)} ms) more often than it was set`);
    armed.set(key, left - 1);
    const prev = last.get(f.session);
    if (prev !== undefined && f.zxid < prev.zxid) out.push(`session ${f.session} got the watch on ${f.path} at ${hex(f.zxid)} after the one on ${prev.path} at ${hex(prev.zxid)}`);
    last.set(f.session, f);
    if (out.length >= findingsMax) break;
  }
  return out;
}
