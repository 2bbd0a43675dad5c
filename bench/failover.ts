/**
 * `conclave bench failover`: steady writes on a 3-node cluster, SIGKILL-equivalent of the leader, then measure
 *   - kill → new leader established (its `LeaderElected` event) and the FLE+ZAB `electionMs` it reports,
 *   - kill → new leader serving: the first write acknowledged with a zxid of the new epoch,
 *   - the longest gap between successive acknowledged writes seen by a client writing continuously (clients on the
 *     nodes that were followers when the round started, retrying on ZkUnavailableError),
 * then restart the killed node on its data dir and time its catch-up; repeat `rounds` times (default 10) and
 * report median and worst. At the end every acknowledged write is read back from every node after a `sync`.
 * Options: --runtime threads|tcp (default threads; tcp kills a real process with SIGKILL), --rounds N.
 */
import { createCluster, type Cluster, type ZkClient } from '../src/cluster.js';
import { zxidEpoch } from '../src/protocol/zxid.js';
import { percentile, printTable, progress, saveResult } from './report.js';
import { ContinuousWriter, longestGap, verifyAcks, type Ack } from './writers.js';

export const roundsMax = 100;
/** Writes before the kill, and after the new leader serves. */
const steadyBeforeKillMs = 1_000;
const steadyAfterServingMs = 1_000;
/** A round fails if no write commits through a new leader within this. */
const failoverWaitMaxMs = 20_000;
const catchUpWaitMaxMs = 30_000;
const leaderWaitMs = 20_000;
/** Writes per writer per round at most (the time bound is the round's phases). */
const writesPerRoundMax = 100_000;
const pollMs = 5;

interface Round {
  readonly round: number;
  readonly killed: string;
  readonly newLeader: string;
  readonly electedMs: number;
  readonly electionMs: number;
  readonly servingMs: number;
  readonly gapMs: number;
  readonly gapStartAfterKillMs: number;
  readonly catchUpMs: number;
  readonly acks: number;
  readonly retries: number;
}

const wallNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond: () => boolean | Promise<boolean>, maxMs: number, what: string): Promise<void> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > maxMs) throw new Error(`${what}: not within ${maxMs} ms`);
    await sleep(pollMs);
  }
}

async function statusOf(cluster: Cluster): Promise<Awaited<ReturnType<Cluster['status']>>> {
  return cluster.status(1_000);
}

async function oneRound(cluster: Cluster, round: number, allAcks: Ack[]): Promise<Round> {
  const old = await cluster.waitForLeader(leaderWaitMs);
  const st = await statusOf(cluster);
  const oldEpoch = st[old]!.epoch;
  const followers = cluster.nodes.filter((n) => n !== old);
  const clients: ZkClient[] = [];
  for (const n of followers) clients.push(await cluster.client({ node: n }));
  const writers = clients.map((c, i) => new ContinuousWriter(c, `/fo/r${round}-w${i}`, writesPerRoundMax));
  let elected: { atMs: number; electionMs: number; node: string } | null = null;
  const sub = cluster.events$.subscribe((e) => {
    if (e.type === 'LeaderElected' && e.epoch > oldEpoch && elected === null) elected = { atMs: e.time, electionMs: e.electionMs, node: e.node };
  });
  try {
    writers.forEach((w) => w.start());
    await sleep(steadyBeforeKillMs);
    const killPerf = performance.now();
    const killWall = wallNow();
    await cluster.kill(old);
    // Serving: a write acknowledged with a zxid of a newer epoch (it committed through the new leader).
    let servingAt = Number.NaN;
    await waitUntil(
      () => {
        for (const w of writers) {
          for (let i = w.acks.length - 1; i >= 0 && w.acks[i]!.atMs >= killPerf; i--) {
            const a = w.acks[i]!;
            if (a.zxid >= 0 && zxidEpoch(a.zxid) > oldEpoch && !(a.atMs >= servingAt)) servingAt = a.atMs;
          }
        }
        return !Number.isNaN(servingAt) || writers.some((w) => w.failures.length > 0);
      },
      failoverWaitMaxMs,
      `round ${round}: a write through the new leader`,
    );
    await sleep(steadyAfterServingMs);
    await Promise.all(writers.map((w) => w.stop()));
    const stopPerf = performance.now();
    const failures = writers.flatMap((w) => w.failures);
    if (failures.length > 0) throw new Error(`round ${round}: writer failed: ${failures.join('; ')}`);
    let gap = { gapMs: 0, startMs: Number.NaN };
    for (const w of writers) {
      const g = longestGap(w.acks, killPerf - steadyBeforeKillMs, stopPerf);
      if (g.gapMs > gap.gapMs) gap = g;
      allAcks.push(...w.acks);
    }
    // Restart the killed node on its data dir; it has caught up when it follows and has applied what the leader has.
    const r0 = performance.now();
    await cluster.restart(old);
    const leaderNow = await cluster.waitForLeader(leaderWaitMs);
    await waitUntil(
      async () => {
        const s = await statusOf(cluster);
        const l = s[leaderNow];
        const o = s[old];
        return l !== undefined && o !== undefined && o.role === 'following' && o.appliedZxid >= l.appliedZxid;
      },
      catchUpWaitMaxMs,
      `round ${round}: ${old} catching up`,
    );
    const catchUpMs = performance.now() - r0;
    const e = elected as { atMs: number; electionMs: number; node: string } | null;
    return {
      round,
      killed: old,
      newLeader: e?.node ?? leaderNow,
      electedMs: e ? Math.max(0, e.atMs - killWall) : Number.NaN,
      electionMs: e?.electionMs ?? Number.NaN,
      servingMs: servingAt - killPerf,
      gapMs: gap.gapMs,
      gapStartAfterKillMs: gap.startMs - killPerf,
      catchUpMs,
      acks: writers.reduce((a, w) => a + w.acks.length, 0),
      retries: writers.reduce((a, w) => a + w.retries, 0),
    };
  } finally {
    sub.unsubscribe();
    await Promise.all(writers.map((w) => w.stop()));
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
}

const r1 = (x: number): number => Number(x.toFixed(1));

function summary(xs: readonly number[]): { median: number; worst: number; best: number } {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return { median: r1(percentile(s, 50)), worst: r1(s[s.length - 1] ?? Number.NaN), best: r1(s[0] ?? Number.NaN) };
}

export async function runFailoverBench(opts: Record<string, unknown> = {}): Promise<void> {
  const runtime = opts.runtime === 'tcp' ? 'tcp' : 'threads';
  const rounds = Math.max(1, Math.min(roundsMax, Number(opts.rounds ?? 10) || 10));
  progress(`${runtime}: starting a 3-node cluster`);
  const cluster = await createCluster({ nodes: 3, runtime });
  const results: Round[] = [];
  const allAcks: Ack[] = [];
  let verify = { checked: 0, lostCount: 0, lost: [] as string[] };
  try {
    await cluster.waitForLeader(leaderWaitMs);
    const c0 = await cluster.client();
    await c0.create('/fo');
    await c0.close();
    for (let r = 1; r <= rounds; r++) {
      const res = await oneRound(cluster, r, allAcks);
      results.push(res);
      progress(
        `round ${r}/${rounds}: killed ${res.killed} → ${res.newLeader} elected ${res.electedMs.toFixed(0)} ms, serving ${res.servingMs.toFixed(0)} ms, ` +
          `longest write gap ${res.gapMs.toFixed(0)} ms, catch-up ${res.catchUpMs.toFixed(0)} ms, ${res.acks} writes`,
      );
    }
    progress(`reading back ${allAcks.length} acknowledged writes from every node`);
    await cluster.waitForLeader(leaderWaitMs);
    const readers: ZkClient[] = [];
    for (const n of cluster.nodes) readers.push(await cluster.client({ node: n }));
    verify = await verifyAcks(readers, allAcks);
    await Promise.all(readers.map((c) => c.close().catch(() => undefined)));
  } finally {
    await cluster.close();
  }
  printTable(
    `failover (${runtime}): 3 nodes, leader killed ${rounds} times under continuous writes from 2 clients on the followers`,
    ['round', 'killed', 'new', 'elected ms', 'electionMs', 'serving ms', 'longest gap ms', 'gap starts +ms', 'catch-up ms', 'writes'],
    results.map((r) => [String(r.round), r.killed, r.newLeader, r.electedMs, r.electionMs, r.servingMs, r.gapMs, r.gapStartAfterKillMs, r.catchUpMs, String(r.acks)]),
  );
  const elected = summary(results.map((r) => r.electedMs));
  const election = summary(results.map((r) => r.electionMs));
  const serving = summary(results.map((r) => r.servingMs));
  const gap = summary(results.map((r) => r.gapMs));
  const catchUp = summary(results.map((r) => r.catchUpMs));
  printTable(
    'summary',
    ['metric', 'median', 'worst', 'best'],
    [
      ['kill → new leader elected, ms', elected.median, elected.worst, elected.best],
      ['  its electionMs (looking → established)', election.median, election.worst, election.best],
      ['kill → a write committed through the new leader, ms', serving.median, serving.worst, serving.best],
      ['longest gap between acknowledged writes, ms', gap.median, gap.worst, gap.best],
      ['restart → killed node caught up, ms', catchUp.median, catchUp.worst, catchUp.best],
    ],
  );
  process.stdout.write(
    `\nacknowledged writes: ${allAcks.length}, read back from ${cluster.nodes.length} nodes: ${verify.checked} reads, lost or wrong: ${verify.lostCount}` +
      `${verify.lost.length ? ` (${verify.lost.join(', ')})` : ''}\nZooKeeper 3.8 on this kind of machine (peers.md): longest write gap ~550 ms, kill → new leader serving 352–787 ms\n`,
  );
  saveResult(`failover-${runtime}`, {
    runtime,
    rounds,
    electedMs: elected,
    electionMs: election,
    servingMs: serving,
    longestWriteGapMs: gap,
    catchUpMs: catchUp,
    acknowledgedWrites: allAcks.length,
    readBack: verify.checked,
    lostWrites: verify.lostCount,
    perRound: results.map((r) => ({ ...r, electedMs: r1(r.electedMs), electionMs: r1(r.electionMs), servingMs: r1(r.servingMs), gapMs: r1(r.gapMs), gapStartAfterKillMs: r1(r.gapStartAfterKillMs), catchUpMs: r1(r.catchUpMs) })),
  });
  if (verify.lostCount > 0) process.exitCode = 1;
}
