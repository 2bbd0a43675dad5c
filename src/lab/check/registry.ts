/**
 * The registry checker (docs/lab.md, "Checker"): judges Eureka clients' operations against the nodes' registries.
 *
 *  - No mass eviction (self-preservation): an instance whose client kept renewing is "lost" at a node when a query
 *    there listed it and a later query there did not, while the client's answered renewals covered the whole time
 *    between (so no lease could lawfully expire) and no cancel of it had been called. Eureka evicts at most
 *    1 - `evictionKeepRatio` of a registry per run and stops evicting once renewals fall under its threshold
 *    (self-preservation), so a partition that cuts off more than that share of the renewals may cost one eviction run
 *    at most: more lost instances at one node is a violation.
 *  - Convergence: the final sweep (a query of every node once every fault is undone, at the end of the run) must
 *    find every node holding the same instances, and every instance whose lease was surely alive then among them.
 *    The scenario's time between its last heal and its end is the bound.
 *
 * Necessary conditions only, from the answers: a renewal's lease is counted alive from its answer until `expiryMs`
 * after its call (it may have applied as early as the call), and only answered (ok) operations count. A node that
 * restarts re-syncs its registry from its peers, so a restart inside a partition may lose instances lawfully: the
 * loss check holds for runs without restarts of the nodes queried.
 */
import type { EurekaOp } from '../history.js';
import { describeOp, type Finding } from './finding.js';

/** Eureka's share of a registry that survives one eviction run (evictionKeepRatio, docs/eureka.md). */
export const evictionKeepRatioDefault = 0.85;

/** Instances one eviction run may take from a registry of `n` (Eureka: n - floor(n x 0.85), so 1 for n <= 6). */
export const evictionLimit = (n: number, keep = evictionKeepRatioDefault): number => n - Math.floor(n * keep);

interface Interval {
  readonly from: number;
  readonly to: number;
}

/** Merged, sorted intervals during which each instance's lease was surely alive (answered renewals), and its first cancel call. */
function leases(ops: readonly EurekaOp[]): { alive: Map<string, Interval[]>; cancelAt: Map<string, number> } {
  const raw = new Map<string, Interval[]>();
  const cancelAt = new Map<string, number>();
  for (const o of ops) {
    if (o.op === 'cancel') {
      cancelAt.set(o.instance, Math.min(cancelAt.get(o.instance) ?? Number.POSITIVE_INFINITY, o.callMs));
      continue;
    }
    if ((o.op !== 'register' && o.op !== 'renew') || o.outcome !== 'ok' || o.returnMs === null || o.expiryMs === undefined) continue;
    if ((o.op === 'register' && o.code !== 204) || (o.op === 'renew' && o.code !== 200)) continue;
    if (o.callMs + o.expiryMs <= o.returnMs) continue;
    const list = raw.get(o.instance) ?? [];
    list.push({ from: o.returnMs, to: o.callMs + o.expiryMs });
    raw.set(o.instance, list);
  }
  const alive = new Map<string, Interval[]>();
  for (const [id, list] of raw) {
    list.sort((a, b) => a.from - b.from);
    const merged: Interval[] = [];
    for (const iv of list) {
      const last = merged[merged.length - 1];
      if (last !== undefined && iv.from <= last.to) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, iv.to) };
      else merged.push(iv);
    }
    const cut = cancelAt.get(id) ?? Number.POSITIVE_INFINITY;
    alive.set(id, merged.filter((iv) => iv.from < cut).map((iv) => ({ from: iv.from, to: Math.min(iv.to, cut) })));
  }
  return { alive, cancelAt };
}

/** Was the lease surely alive over all of [from, to]? (one merged interval covers it) */
function covered(list: readonly Interval[] | undefined, from: number, to: number): boolean {
  return list !== undefined && list.some((iv) => iv.from <= from && to <= iv.to);
}

export interface RegistryCheckOptions {
  /** The registries' evictionKeepRatio (default Eureka's 0.85). */
  readonly evictionKeepRatio?: number;
}

export function checkRegistry(ops: readonly EurekaOp[], opts: RegistryCheckOptions = {}): Finding[] {
  const keep = opts.evictionKeepRatio ?? evictionKeepRatioDefault;
  const findings: Finding[] = [];
  const { alive } = leases(ops);
  const queries = ops.filter((o) => o.op === 'query' && o.outcome === 'ok' && o.instances !== undefined && o.node !== null && o.returnMs !== null);

  // ---- no mass eviction, per node ----
  const byNode = new Map<string, EurekaOp[]>();
  for (const q of queries) {
    const list = byNode.get(q.node!) ?? [];
    list.push(q);
    byNode.set(q.node!, list);
  }
  for (const [node, qs] of byNode) {
    qs.sort((a, b) => a.callMs - b.callMs);
    /** For each instance listed at this node: the query that last listed it (returned before the next one was called). */
    const lastSeen = new Map<string, EurekaOp>();
    const lost = new Map<string, [EurekaOp, EurekaOp]>();
    let largest = 0;
    for (const q of qs) {
      const listed = new Set(q.instances);
      largest = Math.max(largest, listed.size);
      for (const [id, seen] of lastSeen) {
        if (listed.has(id) || lost.has(id) || seen.returnMs! > q.callMs) continue;
        if (covered(alive.get(id), seen.callMs, q.returnMs!)) lost.set(id, [seen, q]);
      }
      for (const id of listed) lastSeen.set(id, q);
    }
    const limit = evictionLimit(largest, keep);
    if (lost.size > limit) {
      const [first] = [...lost.values()].sort((a, b) => a[1].callMs - b[1].callMs);
      findings.push({
        text: `${node}: ${lost.size} instances vanished while their clients kept renewing (${[...lost.keys()].slice(0, 5).join(', ')}${lost.size > 5 ? ', ...' : ''}); one eviction run may take ${limit} of ${largest}, and self-preservation should stop it: ${describeOp(first![0])} listed ${[...lost.keys()].find((k) => lost.get(k) === first)}, ${describeOp(first![1])} did not`,
        ops: [first![0].id, first![1].id],
      });
    }
  }

  // ---- convergence at the final sweep ----
  const sweep = ops.filter((o) => o.op === 'query' && o.final === true);
  if (sweep.length > 0) {
    const unanswered = sweep.filter((o) => o.outcome !== 'ok' || o.instances === undefined);
    if (unanswered.length > 0) findings.push({ text: `the final sweep got no registry from ${unanswered.map((o) => o.node).join(', ')}: ${describeOp(unanswered[0]!)}`, ops: unanswered.map((o) => o.id) });
    const answered = sweep.filter((o) => o.outcome === 'ok' && o.instances !== undefined);
    const first = answered[0];
    if (first !== undefined) {
      const key = (o: EurekaOp) => [...o.instances!].sort().join(',');
      const differ = answered.filter((o) => key(o) !== key(first));
      if (differ.length > 0) {
        const a = new Set(first.instances);
        const b = new Set(differ[0]!.instances);
        const onlyA = [...a].filter((x) => !b.has(x));
        const onlyB = [...b].filter((x) => !a.has(x));
        findings.push({
          text: `the nodes did not converge by the end of the run: ${first.node} lists ${a.size} instances, ${differ[0]!.node} ${b.size} (only on ${first.node}: ${onlyA.slice(0, 5).join(', ') || '-'}; only on ${differ[0]!.node}: ${onlyB.slice(0, 5).join(', ') || '-'})`,
          ops: [first.id, differ[0]!.id],
        });
      }
      for (const o of answered) {
        const listed = new Set(o.instances);
        const missing = [...alive.keys()].filter((id) => !listed.has(id) && covered(alive.get(id), o.callMs, o.returnMs!));
        if (missing.length > 0) {
          findings.push({ text: `${o.node} misses ${missing.length} live instances at the final sweep (${missing.slice(0, 5).join(', ')}): ${describeOp(o)}`, ops: [o.id] });
          break;
        }
      }
    }
  }
  return findings;
}
