/**
 * Redis transactions over lists (MULTI/EXEC of RPUSH and LRANGE micro-ops, as `multi` ops with `txn` append/read
 * micro-ops; plain RPUSH/LRANGE on the same keys join as one-op transactions): Elle's list-append inference
 * (docs/lab.md, "Checker"; /work/shared/spec/lab.md §1). Appended elements are unique, so a read of a whole list
 * shows the order of every append before it. The checker
 *
 *  1. checks every read against the others: elements appended once, by a transaction that did not fail, each
 *     read a prefix of the longest read of its key; that read, extended by the positions appends answered (an
 *     RPUSH's new length), is the key's version order;
 *  2. infers a dependency graph between transactions: ww (T1 appended the element before T2's), wr (T2 read the
 *     list ending with T1's element), rw (T1 read the list without the element T2 appended next), and real-time
 *     edges (T1 returned before T2 was called: Redis serves MULTI/EXEC and reads linearizably), the latter built
 *     as Elle does, from the frontier of completed transactions, so they stay about linear in number;
 *  3. finds the strongly connected components with Tarjan's algorithm (iterative), and in the first one with a
 *     cycle the shortest cycle (breadth-first), explained edge by edge in words, named as Adya's anomaly (G0:
 *     write cycles only; G1c: with wr; G-single: one rw; G2: more).
 *
 * About linear in the size of the history. Like Elle it is incomplete by design: appends no read shows give no
 * edges, and a transaction's reads of its own appends are not checked; it never reports a cycle that is not in
 * the history. A transaction of unknown outcome takes part through what reads show of its appends.
 */
import type { RedisOp } from '../history.js';
import { describeOp, findingsMax, type Finding } from './finding.js';

type EdgeKind = 'ww' | 'wr' | 'rw' | 'realtime';
interface Edge {
  readonly kind: EdgeKind;
  readonly key: string;
  readonly element: string | null;
}

interface Micro {
  readonly f: 'append' | 'read';
  readonly key: string;
  readonly value: string | null;
  /** A read's list (null: unknown). */
  readonly list: readonly string[] | null;
  /** An append's answered list length (null: unknown). */
  readonly length: number | null;
}

function microOps(o: RedisOp): Micro[] {
  const ok = o.outcome === 'ok';
  if (o.op === 'rpush') return [{ f: 'append', key: o.key, value: String(o.value), list: null, length: ok ? (o.length ?? null) : null }];
  if (o.op === 'lrange') return [{ f: 'read', key: o.key, value: null, list: ok ? (o.list ?? []) : null, length: null }];
  if (o.op !== 'multi') return [];
  return (o.txn ?? []).map(([f, key, value], i) => {
    const r = o.txnResults?.[i];
    return { f, key, value, list: f === 'read' && ok && Array.isArray(r) ? (r as readonly string[]) : null, length: f === 'append' && ok && typeof r === 'number' ? r : null };
  });
}

export function checkTxns(ops: readonly RedisOp[]): Finding[] {
  const out: Finding[] = [];
  const report = (text: string, ...by: RedisOp[]): boolean => {
    if (out.length < findingsMax) out.push({ text, ops: by.map((o) => o.id) });
    return out.length >= findingsMax;
  };
  const txns = ops.filter((o) => o.op === 'multi' || o.op === 'rpush' || o.op === 'lrange');
  const micro = txns.map(microOps);

  // 1. appends, reads, and each key's version order
  const appender = new Map<string, number>(); // `${key}\n${element}` -> txn index
  txns.forEach((t, i) => {
    for (const m of micro[i]!) if (m.f === 'append') appender.set(`${m.key}\n${m.value}`, i);
  });
  const reads: { i: number; key: string; list: readonly string[] }[] = [];
  const longest = new Map<string, { i: number; list: readonly string[] }>();
  for (let i = 0; i < txns.length; i++) {
    const t = txns[i]!;
    for (const m of micro[i]!) {
      if (m.list === null) continue;
      const seen = new Set<string>();
      for (const e of m.list) {
        const w = appender.get(`${m.key}\n${e}`);
        if (seen.has(e) && report(`${describeOp(t)} read ${m.key} with ${JSON.stringify(e)} twice (a duplicated append)`, t)) return out;
        seen.add(e);
        if (w === undefined && report(`${describeOp(t)} read ${JSON.stringify(e)} in ${m.key}, never appended`, t)) return out;
        if (w !== undefined && txns[w]!.outcome === 'fail' && report(`${describeOp(t)} read ${JSON.stringify(e)} in ${m.key}, appended by the failed ${describeOp(txns[w]!)}`, t, txns[w]!)) return out;
      }
      reads.push({ i, key: m.key, list: m.list });
      const l = longest.get(m.key);
      if (l === undefined || m.list.length > l.list.length) longest.set(m.key, { i, list: m.list });
    }
  }
  for (const r of reads) {
    const l = longest.get(r.key)!;
    const at = r.list.findIndex((e, j) => l.list[j] !== e);
    if (at >= 0 && report(`${r.key} read in incompatible orders: ${describeOp(txns[r.i]!)} has ${JSON.stringify(r.list[at])} at [${at}], ${describeOp(txns[l.i]!)} ${JSON.stringify(l.list[at])}`, txns[r.i]!, txns[l.i]!)) return out;
  }
  // an append's answered length puts its element at a position: it must agree with the reads, and extends the
  // version order past the longest read where the positions follow on
  const order = new Map<string, string[]>();
  for (const [key, l] of longest) order.set(key, [...l.list]);
  const placedAt = new Map<string, Map<number, { e: string; i: number }>>();
  for (let i = 0; i < txns.length; i++) {
    for (const m of micro[i]!) {
      if (m.f !== 'append' || m.length === null) continue;
      const known = longest.get(m.key);
      const e = known?.list[m.length - 1];
      if (e !== undefined && e !== m.value) {
        if (report(`${describeOp(txns[i]!)} appended ${JSON.stringify(m.value)} as ${m.key}[${m.length - 1}], but ${describeOp(txns[known!.i]!)} read ${JSON.stringify(e)} there`, txns[i]!, txns[known!.i]!)) return out;
        continue;
      }
      let at = placedAt.get(m.key);
      if (at === undefined) placedAt.set(m.key, (at = new Map()));
      const other = at.get(m.length - 1);
      if (other !== undefined && other.e !== m.value) {
        if (report(`${describeOp(txns[i]!)} and ${describeOp(txns[other.i]!)} both appended as ${m.key}[${m.length - 1}]`, txns[i]!, txns[other.i]!)) return out;
      } else at.set(m.length - 1, { e: m.value!, i });
    }
  }
  for (const [key, at] of placedAt) {
    let o = order.get(key);
    if (o === undefined) order.set(key, (o = []));
    for (let next = at.get(o.length); next !== undefined; next = at.get(o.length)) o.push(next.e);
  }
  if (out.length > 0) return out;

  // 2. the dependency graph
  const edges: Map<number, Edge>[] = txns.map(() => new Map());
  const add = (a: number | undefined, b: number | undefined, e: Edge) => {
    if (a === undefined || b === undefined || a === b) return;
    const old = edges[a]!.get(b);
    if (old === undefined || (old.kind === 'realtime' && e.kind !== 'realtime')) edges[a]!.set(b, e);
  };
  for (const [key, list] of order) {
    for (let j = 1; j < list.length; j++) add(appender.get(`${key}\n${list[j - 1]}`), appender.get(`${key}\n${list[j]}`), { kind: 'ww', key, element: list[j]! });
  }
  for (const r of reads) {
    const o = order.get(r.key)!;
    if (r.list.length > 0) add(appender.get(`${r.key}\n${r.list[r.list.length - 1]}`), r.i, { kind: 'wr', key: r.key, element: r.list[r.list.length - 1]! });
    if (r.list.length < o.length) add(r.i, appender.get(`${r.key}\n${o[r.list.length]}`), { kind: 'rw', key: r.key, element: o[r.list.length]! });
  }
  // real time, from the frontier of completed transactions (Elle's realtime graph)
  const events: { t: number; call: boolean; i: number }[] = [];
  txns.forEach((t, i) => {
    events.push({ t: t.callMs, call: true, i });
    if (t.outcome === 'ok' && t.returnMs !== null) events.push({ t: t.returnMs, call: false, i });
  });
  events.sort((a, b) => a.t - b.t || (a.call === b.call ? 0 : a.call ? -1 : 1));
  const frontier = new Set<number>();
  const before = new Map<number, number[]>();
  for (const ev of events) {
    if (ev.call) {
      before.set(ev.i, [...frontier]);
      for (const f of frontier) add(f, ev.i, { kind: 'realtime', key: '', element: null });
    } else {
      for (const f of before.get(ev.i) ?? []) frontier.delete(f);
      before.delete(ev.i);
      frontier.add(ev.i);
    }
  }

  // 3. cycles
  for (const scc of tarjan(edges)) {
    if (scc.length < 2) continue;
    const cycle = shortestCycle(scc, edges);
    const steps = cycle.map((a, j) => explain(txns, a, cycle[(j + 1) % cycle.length]!, edges[a]!.get(cycle[(j + 1) % cycle.length]!)!));
    const kinds = cycle.map((a, j) => edges[a]!.get(cycle[(j + 1) % cycle.length]!)!.kind);
    const rw = kinds.filter((k) => k === 'rw').length;
    const name = rw === 0 ? (kinds.includes('wr') ? 'G1c' : 'G0') : rw === 1 ? 'G-single' : 'G2';
    const rt = kinds.includes('realtime') ? ' (with real-time order: not strict serializable)' : '';
    if (report(`${name} dependency cycle of ${cycle.length} transactions${rt}: ${steps.join('; ')}; and so back to the first`, ...cycle.map((a) => txns[a]!))) break;
  }
  return out;
}

function explain(txns: readonly RedisOp[], a: number, b: number, e: Edge): string {
  const A = describeOp(txns[a]!);
  const B = describeOp(txns[b]!);
  const el = JSON.stringify(e.element);
  switch (e.kind) {
    case 'ww':
      return `${A} appended to ${e.key} right before ${B} appended ${el} (ww)`;
    case 'wr':
      return `${B} read ${e.key} ending with ${el}, which ${A} appended (wr)`;
    case 'rw':
      return `${A} read ${e.key} without ${el}, which ${B} appended next (rw)`;
    case 'realtime':
      return `${A} returned before ${B} was called (real time)`;
  }
}

/** Tarjan's strongly connected components, without recursion. */
export function tarjan(edges: readonly Map<number, unknown>[]): number[][] {
  const n = edges.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const out: number[][] = [];
  let next = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: { v: number; it: Iterator<number> }[] = [{ v: root, it: edges[root]!.keys() }];
    index[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const step = top.it.next();
      if (!step.done) {
        const w = step.value;
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          stack.push(w);
          onStack[w] = 1;
          work.push({ v: w, it: edges[w]!.keys() });
        } else if (onStack[w]) low[top.v] = Math.min(low[top.v]!, index[w]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low[parent.v] = Math.min(low[parent.v]!, low[top.v]!);
      if (low[top.v] === index[top.v]) {
        const scc: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          scc.push(w);
        } while (w !== top.v);
        out.push(scc);
      }
    }
  }
  return out;
}

/** Components up to this size get a breadth-first search from every node (the shortest cycle); larger: from one. */
export const shortestCycleExactNodesMax = 200;

/** The shortest cycle within one strongly connected component, as the list of its nodes in order. */
function shortestCycle(scc: readonly number[], edges: readonly Map<number, unknown>[]): number[] {
  const inScc = new Set(scc);
  let best: number[] | null = null;
  for (const start of scc.length <= shortestCycleExactNodesMax ? scc : scc.slice(0, 1)) {
    const parent = new Map<number, number>([[start, -1]]);
    const queue = [start];
    let found: number | null = null;
    for (let q = 0; q < queue.length && found === null; q++) {
      const v = queue[q]!;
      for (const w of edges[v]!.keys()) {
        if (w === start) {
          found = v;
          break;
        }
        if (!inScc.has(w) || parent.has(w)) continue;
        parent.set(w, v);
        queue.push(w);
      }
    }
    if (found === null) continue;
    const cycle: number[] = [];
    for (let v = found; v !== -1; v = parent.get(v)!) cycle.push(v);
    cycle.reverse();
    if (best === null || cycle.length < best.length) best = cycle;
  }
  return best!;
}
