/**
 * A brute-force linearizability checker for the checker tests: tries every order of the ops that respects real
 * time (an op that returned before another was called comes first), with ops of unknown outcome taking effect
 * anywhere after their call or not at all, against a plain sequential model. Exponential: small histories only.
 */
import type { RedisOp, ZkOp } from '../../src/lab/history.js';

/** The state after `op`, or undefined when `op` cannot happen in `state`. */
export type Step<S> = (state: S, op: RedisOp) => S | undefined;

export function bruteLinearizable<S>(ops: readonly RedisOp[], init: S, step: Step<S>): boolean {
  const live = ops.filter((o) => (o.op === 'get' || o.op === 'lrange' ? o.outcome === 'ok' : o.outcome !== 'fail'));
  const ret = (o: RedisOp) => (o.outcome === 'ok' && o.returnMs !== null ? o.returnMs : Infinity);
  const go = (left: readonly RedisOp[], state: S): boolean => {
    if (left.every((o) => o.outcome !== 'ok')) return true; // the rest may never have happened
    for (const o of left) {
      if (left.some((p) => p !== o && ret(p) < o.callMs)) continue; // p must come before o
      const rest = left.filter((p) => p !== o);
      const s = step(state, o);
      if (s !== undefined && go(rest, s)) return true;
      if (o.outcome === 'unknown' && go(rest, state)) return true; // o never took effect
    }
    return false;
  };
  return go(live, init);
}

export const registerStep: Step<string | null> = (s, o) => (o.op === 'set' ? String(o.value) : (o.value ?? null) === s ? s : undefined);
export const counterStep: Step<number> = (s, o) => (o.op === 'incr' || o.op === 'cas' ? (o.outcome !== 'ok' || Number(o.value) === s + 1 ? s + 1 : undefined) : Number(o.value ?? 0) === s ? s : undefined);
export const listStep: Step<readonly string[]> = (s, o) => {
  if (o.op === 'rpush') return o.outcome !== 'ok' || o.length === s.length + 1 ? [...s, String(o.value)] : undefined;
  const l = o.list ?? [];
  return l.length === s.length && l.every((e, i) => e === s[i]) ? s : undefined;
};

/** A FIFO queue: RPUSH at the tail, LPOP/BLPOP at the head (nil when empty; one of unknown outcome takes the head, if any). */
export const queueStep: Step<readonly string[]> = (s, o) => {
  if (o.op === 'rpush') return o.outcome !== 'ok' || o.length === s.length + 1 ? [...s, String(o.value)] : undefined;
  if (o.op === 'lpop' || o.op === 'blpop') {
    if (o.outcome !== 'ok') return s.slice(1);
    if (o.value === null || o.value === undefined) return s.length === 0 ? s : undefined;
    return s[0] === o.value ? s.slice(1) : undefined;
  }
  const l = o.list ?? [];
  return l.length === s.length && l.every((e, i) => e === s[i]) ? s : undefined;
};

/**
 * ZooKeeper by brute force, straight from the definition (docs/lab.md, "Checker"): there is an order W of the
 * applied writes (every answered write, any subset of those of unknown outcome) with the answered writes' zxids
 * increasing along it, real time respected between writes, create at version 0 and setData one version up; each
 * answered read is served at a prefix of W whose state of its path shows exactly its value, mzxid and version, and
 * the prefixes respect session order (by call: never back), real time for writes and sync-then-reads (at or after the
 * prefix of every op that returned before it began), and no prefix holds a write begun after the read returned.
 */
export function bruteZk(ops: readonly ZkOp[]): boolean {
  const parse = (z: string | undefined) => (z === undefined ? null : parseInt(z, 16));
  const isWrite = (o: ZkOp) => o.op === 'create' || o.op === 'setData';
  const known = ops.filter((o) => isWrite(o) && o.outcome === 'ok');
  const unknown = ops.filter((o) => isWrite(o) && o.outcome === 'unknown');
  const reads = ops.filter((o) => !isWrite(o) && o.outcome === 'ok');
  const ret = (o: ZkOp) => (o.outcome === 'ok' && o.returnMs !== null ? o.returnMs : Infinity);
  const orders: ZkOp[][] = [];
  const permute = (left: ZkOp[], acc: ZkOp[]) => {
    if (left.length === 0) return void orders.push(acc);
    for (const o of left) {
      if (left.some((p) => p !== o && ret(p) < o.callMs)) continue;
      const last = [...acc].reverse().find((p) => p.outcome === 'ok');
      if (o.outcome === 'ok' && last !== undefined && parse(last.zxid)! >= parse(o.zxid)!) continue;
      permute(left.filter((p) => p !== o), [...acc, o]);
    }
  };
  for (let mask = 0; mask < 1 << unknown.length; mask++) permute([...known, ...unknown.filter((_, i) => mask & (1 << i))], []);
  for (const w of orders) {
    // states after each prefix: path -> { value, zxid, version }; unknown writes' zxids are fixed by the reads
    const zx = new Map<ZkOp, number>();
    let ok = true;
    const state: Map<string, { value: string; zxid: ZkOp; version: number }>[] = [new Map()];
    for (const o of w) {
      const s = new Map(state[state.length - 1]!);
      const cur = s.get(o.path);
      if ((o.op === 'create') !== (cur === undefined)) ok = false;
      const version = cur === undefined ? 0 : cur.version + 1;
      if (o.outcome === 'ok' && o.version !== version) ok = false;
      s.set(o.path, { value: String(o.value), zxid: o, version });
      state.push(s);
    }
    if (!ok) continue;
    const zxidOf = (o: ZkOp) => (o.outcome === 'ok' ? parse(o.zxid) : (zx.get(o) ?? null));
    const allowed = reads.map((r) =>
      state.flatMap((s, p) => {
        const v = s.get(r.path);
        if (w.slice(0, p).some((x) => x.callMs > r.returnMs!)) return [];
        if (r.value === null || r.value === undefined) return v === undefined ? [p] : [];
        return v !== undefined && v.value === r.value && v.version === r.version ? [p] : [];
      }),
    );
    // the reads' mzxids: an answered writer's must match; an unknown writer's must be one zxid, between its neighbours
    let stamps = true;
    for (const r of reads) {
      if (typeof r.value !== 'string') continue;
      const writer = w.find((x) => x.path === r.path && x.value === r.value);
      if (writer === undefined) continue;
      const z = zxidOf(writer);
      if (z === null) zx.set(writer, parse(r.zxid)!);
      else if (z !== parse(r.zxid)) stamps = false;
    }
    const zs = w.map(zxidOf).filter((z): z is number => z !== null);
    const placedInOrder = w.map(zxidOf);
    for (let i = 0, last = -Infinity; i < placedInOrder.length; i++) {
      const z = placedInOrder[i];
      if (z === null || z === undefined) continue;
      if (z <= last) stamps = false;
      last = z;
    }
    if (!stamps || new Set(zs).size !== zs.length) continue;
    // choose each read's prefix: backtracking in call order over the constraints
    const all = [...w.map((o, i) => ({ o, p: i + 1, read: false })), ...reads.map((o) => ({ o, p: -1, read: true }))];
    const readIdx = all.filter((x) => x.read);
    const consistent = (): boolean => {
      for (const a of all) {
        for (const b of all) {
          if (a === b || a.o.outcome !== 'ok') continue;
          // a session's ops are in its order (FIFO, as ZooKeeper's): by call
          const session = a.o.session !== null && a.o.session === b.o.session && (a.o.callMs < b.o.callMs || (a.o.callMs === b.o.callMs && a.o.id < b.o.id));
          if (!session && ret(a.o) >= b.o.callMs) continue; // nor did a return before b began
          if (isWrite(b.o)) {
            if (a.p >= b.p) return false;
          } else if ((b.o.op === 'syncGetData' || session) && a.p > b.p) return false;
        }
      }
      return true;
    };
    const go = (k: number): boolean => {
      if (k === readIdx.length) return consistent();
      for (const p of allowed[k]!) {
        readIdx[k]!.p = p;
        if (go(k + 1)) return true;
      }
      readIdx[k]!.p = -1;
      return false;
    };
    if (go(0)) return true;
  }
  return false;
}

/** A small seeded PRNG (mulberry32); fast-check draws the seeds and reports the failing one. */
export interface Rng {
  nextInt(lo: number, hi: number): number;
}
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    nextInt(lo: number, hi: number): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const x = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      return lo + Math.floor(x * (hi - lo + 1));
    },
  };
}
