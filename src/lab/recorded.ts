/**
 * A recorded run as the dashboard's stream items (live.ts describes them): `runs/<id>/run.json` (src/lab/run.ts), `events.jsonl`,
 * `history.jsonl` and, for simulated runs, `messages.jsonl`, merged in time order, with the node strips' state
 * rebuilt from the events as immer patches (the same StateTracker the live feed uses). `conclave lab view` serves
 * them; `writeReport` inlines them into report.html.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterEvent } from '../protocol/events.js';
import type { SimMessage } from '../runtime/sim/sim.js';
import type { StreamItem } from '../servers/lab/stream.js';
import type { LabMeta } from '../servers/lab/server.js';
import type { HistoryOp, Verdict } from './history.js';
import { StateTracker } from './live.js';

/** Lines read from one file of a run at most (a bound on memory; the rest is left out and said so). */
export const recordedLinesMax = 2_000_000;

/** One message of a simulated run (messages.jsonl): the simulator's `onMessage` record. */
export type RecordedMessage = SimMessage;

export interface RecordedRun {
  readonly meta: LabMeta;
  readonly items: readonly StreamItem[];
  /** Files or lines that could not be read. */
  readonly notes: readonly string[];
}

function readJsonl<T>(file: string, notes: string[]): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    if (out.length >= recordedLinesMax) {
      notes.push(`${file}: only the first ${recordedLinesMax} lines shown`);
      break;
    }
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      notes.push(`${file}:${i + 1}: not JSON`);
    }
  }
  return out;
}

/** The verdict of a run: run.json's `verdict`, else verdict.json, else none. */
function verdictOf(dir: string, run: Record<string, unknown>): Verdict | undefined {
  if (run.verdict !== undefined && typeof run.verdict === 'object') return run.verdict as Verdict;
  const f = join(dir, 'verdict.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Verdict) : undefined;
}

function scenarioName(run: Record<string, unknown>): string | undefined {
  const s = run.scenario as { name?: unknown } | string | undefined;
  return typeof s === 'string' ? s : typeof s?.name === 'string' ? s.name : undefined;
}

export function loadRun(dir: string): RecordedRun {
  const runFile = join(dir, 'run.json');
  if (!existsSync(runFile)) throw new Error(`${dir} is not a run directory (no run.json)`);
  const run = JSON.parse(readFileSync(runFile, 'utf8')) as Record<string, unknown>;
  const notes: string[] = [];
  const events = readJsonl<ClusterEvent>(join(dir, 'events.jsonl'), notes);
  const history = readJsonl<HistoryOp>(join(dir, 'history.jsonl'), notes);
  const messages = readJsonl<RecordedMessage>(join(dir, 'messages.jsonl'), notes);
  // Event times are the driver's clock: virtual ms from 0 in the simulator, wall-clock ms on live runtimes.
  const t0 = typeof run.clockOriginMs === 'number' ? run.clockOriginMs : events.length > 0 && events[0]!.time > 1e12 ? events[0]!.time : 0;
  const nodeSet = new Set<string>(Array.isArray(run.nodes) ? (run.nodes as string[]) : []);
  for (const e of events) if (!e.node.startsWith('$')) nodeSet.add(e.node);
  const nodes = [...nodeSet].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const timed: { t: number; o: number; item: StreamItem }[] = [];
  events.forEach((e, i) => timed.push({ t: e.time - t0, o: i, item: { k: 'ev', t: e.time - t0, e } }));
  history.forEach((op, i) => timed.push({ t: op.returnMs ?? op.callMs, o: i, item: { k: 'op', t: op.returnMs ?? op.callMs, op } }));
  messages.forEach((m, i) => timed.push({ t: m.sentMs, o: i, item: { k: 'msg', t: m.sentMs, m } }));
  timed.sort((a, b) => a.t - b.t || a.o - b.o);
  const items: StreamItem[] = [];
  const tracker = new StateTracker(nodes, (it) => items.push(it));
  for (const x of timed) {
    if (x.item.k === 'ev') tracker.event((x.item as unknown as { e: ClusterEvent }).e);
    tracker.flush(x.t);
    items.push(x.item);
  }
  tracker.flush(timed.length > 0 ? timed[timed.length - 1]!.t : 0, true);
  const verdict = verdictOf(dir, run);
  return {
    meta: {
      mode: 'recorded',
      runtime: typeof run.runtime === 'string' ? run.runtime : 'sim',
      nodes,
      startedAt: typeof run.startedAt === 'number' ? run.startedAt : 0,
      title: `${scenarioName(run) ?? 'run'} · ${typeof run.id === 'string' ? run.id : dir}${run.seed !== undefined ? ` · seed ${String(run.seed)}` : ''}`,
      faults: false,
      scenarios: [],
      ...(verdict !== undefined ? { verdict } : {}),
    },
    items,
    notes,
  };
}
