/**
 * The scenario runner (docs/lab.md): starts a cluster on the chosen runtime, runs the workload, injects the
 * scenario's faults on schedule, undoes them at the end, records everything into `runs/<id>/` and checks the
 * history. Under the simulator a run is a function of its scenario and seed: the same seed gives the same event
 * trace and the same history, byte for byte (`replayRun`). `shrinkRun` cuts a failing fault plan down.
 */
import { logEvent, type Logger } from '../log.js';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, actorKindsUrl, createCluster, ensembleNodes } from '../cluster.js';
import type { ClusterEvent } from '../protocol/events.js';
import type { Fault } from '../protocol/faults.js';
import { createSimRuntime, formatSeed } from '../runtime/sim/index.js';
import type { SimRuntime } from '../runtime/sim/index.js';
import { checkHistory } from './check/index.js';
import type { ScheduledFault } from './faults.js';
import { injectFault, undoOf } from './faults.js';
import type { HistoryOp, Verdict } from './history.js';
import type { LabRuntime, Scenario } from './scenario.js';
import { parseScenario, scenarioDoc, scenarioYaml } from './scenario.js';
import { HistoryRecorder, clusterReadyTimeoutMs, prepareWorkload, runWorkload } from './workload.js';

/** The format of `run.json` (and of the run directory). */
export const runFormatVersion = 1;
/** The driver's step: faults fire and progress is reported at this granularity. */
export const runStepMs = 10;
/** After the workload stops, how long its last operations may take to settle (their request timeouts are shorter). */
export const settleMaxMs = 20_000;
/** Messages a sim run records in messages.jsonl, at most (the rest are counted in run.json). */
export const messagesMax = 2_000_000;
/** Runs one `shrinkRun` may make, at most. */
export const shrinkRunsMax = 64;
/** The simulated fsync latency of lab runs (so that diskStall/diskSlow have fsyncs to hold up). */
export const simFsyncMs = 1;

export interface RunJson {
  readonly version: number;
  readonly id: string;
  readonly conclave: string;
  readonly runtime: LabRuntime;
  readonly seed: string;
  /** The scenario as its file says it (`parseScenario` reads it). */
  readonly scenario: Record<string, unknown>;
  /** Where the workload began, in run time (ms): fault entries' `atMs` count from here. */
  readonly workloadStartMs: number;
  /** The runtime clock's reading when the run began: event times minus this are run times. */
  readonly clockOriginMs: number;
  readonly endMs: number;
  readonly ops: number;
  /** SHA-256 of the sim's event and message trace (sim runs only). */
  readonly traceHash: string | null;
  readonly historyHash: string;
  readonly messagesRecorded: number;
  readonly messagesSkipped: number;
}

export interface RunResult {
  readonly dir: string;
  readonly run: RunJson;
  readonly history: readonly HistoryOp[];
  readonly verdict: Verdict;
}

export interface RunProgress {
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly ops: number;
}

export interface RunOptions {
  readonly runtime?: LabRuntime;
  readonly seed?: number;
  /** Where run directories go (default `runs`). */
  readonly runsDir?: string;
  /** The run's directory name (default: scenario, seed and a time stamp). */
  readonly id?: string;
  readonly onProgress?: (p: RunProgress) => void;
  /** The checker's time budget. */
  readonly checkBudgetMs?: number;
  /** tcp only: each node in its own network namespace, partitions and cuts as routes (root and `ip netns` needed). */
  readonly netns?: boolean;
  /** Log the run's notable events (elections, faults injected, ...) here. */
  readonly logger?: Logger;
}

const packageVersion = (): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'run';

/** The sim cluster of a scenario: createCluster's members, the broken storage if asked, fsyncs that take time. */
async function simCluster(s: Scenario, seed: number): Promise<{ cluster: Cluster; sim: SimRuntime }> {
  const nodes = ensembleNodes(s.nodes, s.registry !== undefined ? { registry: { config: s.registry } } : {}).map((spec) => ({
    node: spec.node,
    actors: spec.actors.map((a) =>
      a.kind === 'storage' && s.broken !== undefined && (s.broken.node === undefined || s.broken.node === spec.node)
        ? { ...a, args: { ...(a.args as object), testFaults: s.broken.storage } }
        : a,
    ),
  }));
  const sim = await createSimRuntime({ seed, nodes, kindsModule: actorKindsUrl, net: { backgroundFsyncMs: simFsyncMs }, traceMessages: true });
  return { cluster: new Cluster(sim, null), sim };
}

const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Runs a scenario and records it under `<runsDir>/<id>/`; resolves once the history is checked. */
export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const runtime = opts.runtime ?? scenario.runtime;
  const seed = (opts.seed ?? scenario.seed ?? 1) >>> 0;
  if (runtime !== 'sim' && scenario.broken !== undefined) throw new Error('"broken" (a deliberately broken storage) runs only under the sim');
  if (opts.netns === true && runtime !== 'tcp') throw new Error(`network namespaces are for the tcp runtime, not ${runtime}`);
  const id = opts.id ?? `${slug(scenario.name)}-${formatSeed(seed)}-${Date.now().toString(36)}`;
  const dir = join(opts.runsDir ?? 'runs', id);
  mkdirSync(dir, { recursive: true });

  const { cluster, sim } = runtime === 'sim' ? await simCluster(scenario, seed) : { cluster: await createCluster({ runtime, nodes: scenario.nodes, seed, redisBasePort: 'off', ...(opts.netns === true ? { netns: true } : {}), ...(scenario.registry !== undefined ? { registry: { config: scenario.registry } } : {}) }), sim: null };
  const rt = cluster.runtime;
  const origin = rt.now();
  const runNow = () => rt.now() - origin;
  const events: string[] = [];
  const sub = cluster.events$.subscribe((e: ClusterEvent) => {
    events.push(JSON.stringify(e));
    if (opts.logger !== undefined) logEvent(opts.logger, e);
  });
  const labEvent = (type: string, body: object) => events.push(JSON.stringify({ time: rt.now(), node: '$lab', type, ...body }));
  const messages: string[] = [];
  let messagesSkipped = 0;
  if (sim !== null) {
    sim.onMessage = (m) => {
      if (messages.length < messagesMax) messages.push(JSON.stringify(m));
      else messagesSkipped++;
    };
  }
  const rec = new HistoryRecorder(runNow);
  let workloadStartMs = 0;
  try {
    await cluster.waitForLeader(clusterReadyTimeoutMs);
    await prepareWorkload(cluster, scenario.workload, rec);
    workloadStartMs = runNow();
    labEvent('WorkloadStarted', { scenario: scenario.name, seed: formatSeed(seed) });
    const clock = sim !== null ? { now: runNow, wait: (ms: number) => sim.delay(ms) } : { now: runNow, wait: (ms: number) => rt.sleep(ms) };
    if (sim !== null) sim.askDrivesClock = false;
    let stopped = false;
    let workDone = false;
    const work = runWorkload(cluster, scenario.workload, rec, clock, seed, () => stopped, scenario.registry).finally(() => (workDone = true));

    const plan = [...scenario.faults].sort((a, b) => a.atMs - b.atMs);
    /** Faults injected and not undone yet, with when to undo them (Infinity: at the end). */
    const active: { untilMs: number; faults: Fault[] }[] = [];
    const inject = async (sf: ScheduledFault) => {
      const { atMs, forMs, ...spec } = sf;
      try {
        const faults = await injectFault(cluster, spec);
        labEvent('LabFault', { spec, faults });
        active.push({ untilMs: forMs === undefined ? Number.POSITIVE_INFINITY : atMs + forMs, faults });
      } catch (e) {
        labEvent('FaultSkipped', { spec, reason: (e as Error).message });
      }
    };
    const undo = async (faults: readonly Fault[]) => {
      for (const f of faults) {
        const u = undoOf(f);
        if (u !== null) await cluster.inject(u).catch((e) => labEvent('FaultSkipped', { fault: u, reason: (e as Error).message }));
      }
    };
    let next = 0;
    const elapsed = () => runNow() - workloadStartMs;
    while (elapsed() < scenario.durationMs && !workDone) {
      for (let i = 0; i < active.length; ) {
        if (active[i]!.untilMs <= elapsed()) await undo(active.splice(i, 1)[0]!.faults);
        else i++;
      }
      while (next < plan.length && plan[next]!.atMs <= elapsed()) await inject(plan[next++]!);
      const step = Math.min(runStepMs, scenario.durationMs - elapsed());
      if (sim !== null) await sim.runFor(step);
      else await rt.sleep(step);
      opts.onProgress?.({ elapsedMs: Math.min(elapsed(), scenario.durationMs), durationMs: scenario.durationMs, ops: rec.ops.length });
    }
    // undone before the clients stop: the workload's closing reads (the registry sweep) see the healed cluster
    for (const a of active.splice(0).reverse()) await undo(a.faults);
    stopped = true;
    labEvent('WorkloadStopped', { ops: rec.ops.length });
    if (sim !== null) await sim.runUntil(() => workDone, settleMaxMs);
    else {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, settleMaxMs)))]);
      clearTimeout(timer);
    }
  } finally {
    sub.unsubscribe();
    await cluster.close();
  }
  const history = rec.ops;
  const historyText = jsonl(history);
  const run: RunJson = {
    version: runFormatVersion,
    id,
    conclave: packageVersion(),
    runtime,
    seed: formatSeed(seed),
    scenario: scenarioDoc(scenario),
    workloadStartMs,
    clockOriginMs: origin,
    endMs: runNow(),
    ops: history.length,
    traceHash: sim !== null ? sim.traceHash() : null,
    historyHash: sha256(historyText),
    messagesRecorded: messages.length,
    messagesSkipped,
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(run, null, 2) + '\n');
  writeFileSync(join(dir, 'events.jsonl'), events.join('\n') + (events.length > 0 ? '\n' : ''));
  writeFileSync(join(dir, 'history.jsonl'), historyText);
  if (sim !== null) writeFileSync(join(dir, 'messages.jsonl'), messages.join('\n') + (messages.length > 0 ? '\n' : ''));
  const verdict = checkRecorded(dir, history, opts.checkBudgetMs);
  return { dir, run, history, verdict };
}

/** Reads a run directory's run.json and history. */
export function readRun(dir: string): { run: RunJson; scenario: Scenario; history: HistoryOp[] } {
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunJson;
  if (run.version !== runFormatVersion) throw new Error(`${dir}: run format ${run.version}, this conclave reads ${runFormatVersion}`);
  const history = readFileSync(join(dir, 'history.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as HistoryOp);
  return { run, scenario: parseScenario(run.scenario), history };
}

/** Checks a recorded history and writes `verdict.json` beside it. */
export function checkRecorded(dir: string, history: readonly HistoryOp[], budgetMs?: number): Verdict {
  const verdict = checkHistory(history, budgetMs !== undefined ? { budgetMs } : {});
  writeFileSync(join(dir, 'verdict.json'), JSON.stringify(verdict, null, 2) + '\n');
  return verdict;
}

/** The exit code of a verdict: 0 valid, 1 violation, 2 unknown. */
export function exitCodeOf(v: Verdict): number {
  return v.verdict === 'valid' ? 0 : v.verdict === 'violation' ? 1 : 2;
}

export interface ReplayResult {
  readonly same: boolean;
  readonly traceHash: { readonly recorded: string | null; readonly replayed: string | null };
  readonly historyHash: { readonly recorded: string; readonly replayed: string };
}

/** Re-runs a sim run from its scenario and seed (in a temporary directory) and compares the hashes. */
export async function replayRun(dir: string): Promise<ReplayResult> {
  const { run, scenario } = readRun(dir);
  if (run.runtime !== 'sim') throw new Error(`${dir}: a ${run.runtime} run cannot be replayed (only sim runs are deterministic)`);
  const tmp = mkdtempSync(join(tmpdir(), 'conclave-replay-'));
  try {
    const r = await runScenario(scenario, { runtime: 'sim', seed: Number.parseInt(run.seed.slice(2), 16), runsDir: tmp, id: 'replay' });
    return {
      same: r.run.traceHash === run.traceHash && r.run.historyHash === run.historyHash,
      traceHash: { recorded: run.traceHash, replayed: r.run.traceHash },
      historyHash: { recorded: run.historyHash, replayed: r.run.historyHash },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Greedy one-at-a-time removal: drops each fault whose removal keeps `fails` true, passing over the plan again
 * until nothing more can go or `runsMax` tries are spent. The plan given must fail.
 */
export async function shrinkFaults<T>(plan: readonly T[], fails: (plan: readonly T[]) => Promise<boolean>, runsMax: number): Promise<T[]> {
  let faults = [...plan];
  let runs = 0;
  let changed = true;
  while (changed && runs < runsMax) {
    changed = false;
    for (let i = faults.length - 1; i >= 0 && runs < runsMax; i--) {
      const without = faults.filter((_, j) => j !== i);
      runs++;
      if (await fails(without)) {
        faults = without;
        changed = true;
      }
    }
  }
  return faults;
}

export interface ShrinkResult {
  /** The smallest fault plan found that still fails. */
  readonly faults: readonly ScheduledFault[];
  readonly removed: number;
  readonly runs: number;
  /** Where the shrunk scenario was written (`shrunk.yaml` in the run's directory). */
  readonly path: string;
}

/**
 * Cuts a failing sim run's fault plan down to the fewest faults that still fail under the same seed: drops one
 * fault at a time while the verdict stays `violation`, until no single fault can go (at most `shrinkRunsMax` runs).
 */
export async function shrinkRun(dir: string, onRun?: (runs: number, faults: number) => void): Promise<ShrinkResult> {
  const { run, scenario } = readRun(dir);
  if (run.runtime !== 'sim') throw new Error(`${dir}: only sim runs can be shrunk (a live run does not repeat)`);
  const seed = Number.parseInt(run.seed.slice(2), 16);
  const tmp = mkdtempSync(join(tmpdir(), 'conclave-shrink-'));
  let runs = 0;
  const fails = async (faults: readonly ScheduledFault[]): Promise<boolean> => {
    runs++;
    onRun?.(runs, faults.length);
    const r = await runScenario({ ...scenario, faults }, { runtime: 'sim', seed, runsDir: tmp, id: `try-${runs}` });
    rmSync(r.dir, { recursive: true, force: true });
    return r.verdict.verdict === 'violation';
  };
  try {
    if (!(await fails(scenario.faults))) throw new Error(`${dir}: the run does not fail when re-run; nothing to shrink`);
    const faults = await shrinkFaults(scenario.faults, fails, shrinkRunsMax - 1);
    const path = join(dir, 'shrunk.yaml');
    writeFileSync(path, scenarioYaml({ ...scenario, name: `${scenario.name} (shrunk)`, seed, faults }));
    return { faults, removed: scenario.faults.length - faults.length, runs, path };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
