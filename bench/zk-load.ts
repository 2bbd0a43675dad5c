/**
 * The load generator of `conclave bench zk`, identical for conclave and Apache ZooKeeper: it only knows client
 * ports. It runs in a child process of the bench ({@link LoadChild}, entry `zk-load-child.ts`), so the process
 * that measures is neither a server nor the one that starts and kills them.
 *
 * - Throughput ({@link runThroughput}): `clients` sessions spread over the servers, each keeping `window` requests
 *   outstanding on its own `size`-byte znode under one parent; `setData` (version -1) for writes, `getData` for
 *   reads; a warm-up, then `seconds` per mode; per-op latency from submit to reply. Requests lost to a connection
 *   loss count as errors, and the session's lanes carry on once it has reconnected (as a client's would).
 * - Failover ({@link FailoverWriters}): one session per given server, each writing synchronously (one request
 *   outstanding) in a loop; a write lost to a connection loss is retried after the session reconnected (same
 *   session id and password, next server). Reports the longest gap between successive acknowledged writes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Err, Perms, errName, type ACL } from '../src/wire/jute/index.js';
import { requestTemplate, sleep, wallNowMs, ZkWireSession, type RequestTemplate, type ServerAddress } from './zk-wire.js';
import { percentile } from './report.js';
import type { ModeResult as ThroughputModeResult } from './throughput.js';

/** world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE). */
const openAclUnsafe: readonly ACL[] = [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }];

/** Bounds of one mode: operations at most (besides the time bound), latency samples kept. */
export const opsPerModeMax = 5_000_000;
export const latencySamplesMax = 2_000_000;
export const warmupMs = 1_000;
/** Acknowledged writes recorded per failover writer at most. */
export const failoverWritesMax = 200_000;
/** Attempts of one failover write at most (each waits for the session to reconnect first). */
export const failoverWriteAttemptsMax = 10_000;
/** Pause before retrying a failover write answered with an error other than a connection loss. */
export const failoverErrorPauseMs = 1;
/** Answer from the generator process at most (a throughput phase adds its own seconds). */
export const childAskMarginMs = 60_000;

export interface LoadSpec {
  readonly servers: readonly ServerAddress[];
  readonly clients: number;
  readonly window: number;
  readonly size: number;
  readonly seconds: number;
  /** Parent znode (created if missing; one child per session). */
  readonly parent: string;
}

/** bench throughput's figures of one mode, plus the generator's own CPU use. */
export interface ModeResult extends ThroughputModeResult {
  /** CPU the generator process used per second of the run, ms (user + system): its share of the 2 cores. */
  readonly generatorCpuMsPerSec: number;
}

export interface ThroughputResult {
  readonly write: ModeResult;
  readonly read: ModeResult;
  /** First error names seen (bounded), for the report. */
  readonly errorNames: readonly string[];
}

const errorNamesMax = 8;
const r2 = (x: number): number => Number(x.toFixed(2));

/** Create `path` (empty or with `data`); NODEEXISTS counts as done. */
async function ensureNode(s: ZkWireSession, path: string, data: Uint8Array | null): Promise<void> {
  const r = await s.call(requestTemplate({ type: 'Create', path, data, acl: openAclUnsafe, flags: 0 }));
  if (r.err !== Err.OK && r.err !== Err.NODEEXISTS) throw new Error(`create ${path}: ${errName(r.err)}`);
}

/** Open `spec.clients` sessions, session i on server i mod n, and each one's znode. */
async function openSessions(spec: LoadSpec): Promise<ZkWireSession[]> {
  const sessions: ZkWireSession[] = [];
  for (let i = 0; i < spec.clients; i++) {
    const s = new ZkWireSession(spec.servers, i % spec.servers.length);
    sessions.push(s);
    await s.open();
  }
  await ensureNode(sessions[0]!, spec.parent, null);
  const payload = new Uint8Array(spec.size).fill(0x61);
  for (let i = 0; i < sessions.length; i++) await ensureNode(sessions[i]!, `${spec.parent}/c${i}`, payload);
  return sessions;
}

/**
 * Every session keeps `window` requests in flight until `durationMs` passed or `opsPerModeMax` completed; ops/s
 * and latencies count the replies that arrived within `durationMs`.
 */
function drive(sessions: readonly ZkWireSession[], spec: LoadSpec, mode: 'write' | 'read', durationMs: number, record: boolean, errorNames: string[]): Promise<ModeResult> {
  const payload = new Uint8Array(spec.size).fill(0x62);
  const templates: RequestTemplate[] = sessions.map((_, i) =>
    mode === 'write'
      ? requestTemplate({ type: 'SetData', path: `${spec.parent}/c${i}`, data: payload, version: -1 })
      : requestTemplate({ type: 'GetData', path: `${spec.parent}/c${i}`, watch: false }),
  );
  const lat = new Float64Array(record ? latencySamplesMax : 0);
  let samples = 0;
  let ops = 0;
  let errors = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // Replies after stopAt (the deadline, or when opsPerModeMax was reached) only drain the window: not counted.
  let stopAt = t0 + durationMs;
  return new Promise((resolve) => {
    const finish = () => {
      const seconds = (stopAt - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const sorted = Array.from(lat.subarray(0, samples)).sort((a, b) => a - b);
      resolve({
        mode,
        ops,
        errors,
        seconds: r2(seconds),
        opsPerSec: Math.round(ops / seconds),
        p50ms: r2(percentile(sorted, 50)),
        p99ms: r2(percentile(sorted, 99)),
        maxms: r2(sorted[sorted.length - 1] ?? Number.NaN),
        generatorCpuMsPerSec: Math.round((cpu.user + cpu.system) / 1000 / ((performance.now() - t0) / 1000)),
      });
    };
    // A lane is one of the `window` request slots of a session; the run ends when every lane has ended.
    let lanes = sessions.length * spec.window;
    const endLane = (): void => {
      if (--lanes === 0) finish();
    };
    const next = (s: ZkWireSession, t: RequestTemplate): void => {
      const left = stopAt - performance.now();
      if (left <= 0) return endLane();
      if (s.connected) return issue(s, t);
      // A lost connection (e.g. a leader change): carry on once the session has reconnected, as clients do.
      Promise.race([s.whenConnected(), sleep(left)]).then(
        () => next(s, t),
        () => endLane(),
      );
    };
    const issue = (s: ZkWireSession, t: RequestTemplate): void => {
      const sent = performance.now();
      s.submit(t, (err, _zxid, response) => {
        const now = performance.now();
        const ok = err === Err.OK && (mode === 'write' || (response?.type === 'GetData' && response.data?.length === spec.size));
        const counted = now <= stopAt;
        if (counted && ok) {
          ops++;
          if (samples < lat.length) lat[samples++] = now - sent;
        } else if (counted) {
          errors++;
          if (errorNames.length < errorNamesMax) errorNames.push(err === Err.OK ? 'wrong reply' : errName(err));
        }
        if (counted && ops + errors >= opsPerModeMax) stopAt = now;
        next(s, t);
      });
    };
    sessions.forEach((s, i) => {
      for (let w = 0; w < spec.window; w++) issue(s, templates[i]!);
    });
  });
}

/** Writes, then reads: each a warm-up and a measured run. Sessions are closed at the end. */
export async function runThroughput(spec: LoadSpec, onProgress: (text: string) => void = () => undefined): Promise<ThroughputResult> {
  const sessions = await openSessions(spec);
  const errorNames: string[] = [];
  try {
    const out: Partial<Record<'write' | 'read', ModeResult>> = {};
    for (const mode of ['write', 'read'] as const) {
      await drive(sessions, spec, mode, warmupMs, false, errorNames);
      onProgress(`${mode}: ${spec.clients} sessions x ${spec.window} outstanding for ${spec.seconds} s`);
      out[mode] = await drive(sessions, spec, mode, spec.seconds * 1000, true, errorNames);
      const r = out[mode]!;
      onProgress(`${mode}: ${r.opsPerSec} ops/s, p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, ${r.errors} errors`);
    }
    return { write: out.write!, read: out.read!, errorNames };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

// ---------------------------------------------------------------- failover

export interface WriterProgress {
  /** Wall-clock ms of each writer's last acknowledged write (NaN before the first). */
  readonly lastAckWallMs: readonly number[];
}

export interface FailoverSummary {
  readonly acks: number;
  /** The longest gap between successive acknowledged writes of one writer, over all writers, ms. */
  readonly longestGapMs: number;
  /** Wall-clock ms at which that gap began (its last ack before the gap). */
  readonly gapStartWallMs: number;
  readonly retries: number;
  readonly reconnects: number;
  readonly sessionsExpired: number;
  readonly failures: readonly string[];
}

class SyncWriter {
  readonly ackWallMs: number[] = [];
  retries = 0;
  failure: string | null = null;
  /** Set to end {@link run} after the write in flight. */
  stopRequested = false;

  constructor(
    readonly session: ZkWireSession,
    private readonly template: RequestTemplate,
  ) {}

  /** Writes one at a time until stopRequested, a failure, or failoverWritesMax acknowledgements. */
  async run(): Promise<void> {
    for (let n = 0; n < failoverWritesMax && !this.stopRequested; n++) {
      let acked = false;
      for (let attempt = 0; attempt < failoverWriteAttemptsMax && !acked; attempt++) {
        if (attempt > 0) this.retries++;
        try {
          await this.session.whenConnected();
        } catch (e) {
          this.failure = `session ${(e as Error).message}`;
          return;
        }
        const r = await this.session.call(this.template);
        if (r.err === Err.OK) acked = true;
        else if (r.err === Err.SESSIONEXPIRED) {
          this.failure = 'session expired';
          return;
        } else if (r.err !== Err.CONNECTIONLOSS) {
          // e.g. a server that is not serving yet answers an error: back off a little and retry.
          await sleep(failoverErrorPauseMs);
        }
      }
      if (!acked) {
        this.failure = `a write was not acknowledged in ${failoverWriteAttemptsMax} attempts`;
        return;
      }
      this.ackWallMs.push(wallNowMs());
    }
  }
}

/** Synchronous writers, one session each, on the given servers (e.g. the followers). */
export class FailoverWriters {
  private writers: SyncWriter[] = [];
  private running: Promise<void>[] = [];

  constructor(
    private readonly spec: Pick<LoadSpec, 'servers' | 'size' | 'parent'>,
    private readonly serverIndexes: readonly number[],
    private readonly round: number,
  ) {}

  async start(): Promise<void> {
    const payload = new Uint8Array(this.spec.size).fill(0x63);
    for (let i = 0; i < this.serverIndexes.length; i++) {
      const s = new ZkWireSession(this.spec.servers, this.serverIndexes[i]!);
      await s.open();
      if (i === 0) await ensureNode(s, this.spec.parent, null);
      const path = `${this.spec.parent}/f${this.round}-${i}`;
      await ensureNode(s, path, payload);
      this.writers.push(new SyncWriter(s, requestTemplate({ type: 'SetData', path, data: payload, version: -1 })));
    }
    this.running = this.writers.map((w) => w.run());
  }

  progress(): WriterProgress {
    return { lastAckWallMs: this.writers.map((w) => w.ackWallMs[w.ackWallMs.length - 1] ?? Number.NaN) };
  }

  async stop(): Promise<FailoverSummary> {
    for (const w of this.writers) w.stopRequested = true;
    await Promise.all(this.running);
    let longestGapMs = 0;
    let gapStartWallMs = Number.NaN;
    for (const w of this.writers) {
      for (let i = 1; i < w.ackWallMs.length; i++) {
        const g = w.ackWallMs[i]! - w.ackWallMs[i - 1]!;
        if (g > longestGapMs) {
          longestGapMs = g;
          gapStartWallMs = w.ackWallMs[i - 1]!;
        }
      }
    }
    const summary: FailoverSummary = {
      acks: this.writers.reduce((a, w) => a + w.ackWallMs.length, 0),
      longestGapMs,
      gapStartWallMs,
      retries: this.writers.reduce((a, w) => a + w.retries, 0),
      reconnects: this.writers.reduce((a, w) => a + w.session.reconnects, 0),
      sessionsExpired: this.writers.filter((w) => w.session.expired).length,
      failures: this.writers.flatMap((w) => (w.failure ? [w.failure] : [])),
    };
    await Promise.all(this.writers.map((w) => w.session.close()));
    this.writers = [];
    return summary;
  }
}

// ---------------------------------------------------------------- the generator process

export type ToLoad =
  | { readonly t: 'throughput'; readonly id: number; readonly spec: LoadSpec }
  | { readonly t: 'failoverStart'; readonly id: number; readonly spec: Pick<LoadSpec, 'servers' | 'size' | 'parent'>; readonly serverIndexes: readonly number[]; readonly round: number }
  | { readonly t: 'failoverProgress'; readonly id: number }
  | { readonly t: 'failoverStop'; readonly id: number };

export type FromLoad =
  | { readonly t: 'reply'; readonly id: number; readonly value: unknown }
  | { readonly t: 'error'; readonly id: number; readonly message: string }
  | { readonly t: 'progress'; readonly text: string };

const childEntry = join(dirname(fileURLToPath(import.meta.url)), 'zk-load-child.js');

/** The generator in its own process; `ask` sends one command and waits for its answer (bounded). */
export class LoadChild {
  readonly proc: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(onProgress: (text: string) => void = () => undefined) {
    this.proc = fork(childEntry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    this.proc.on('message', (raw) => {
      const m = raw as FromLoad;
      if (m.t === 'progress') return onProgress(m.text);
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.t === 'reply') p.resolve(m.value);
      else p.reject(new Error(m.message));
    });
    this.proc.on('exit', (code, signal) => {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`load generator exited (${code ?? signal})`));
      }
      this.pending.clear();
    });
  }

  private ask<T>(msg: ToLoad extends infer M ? (M extends ToLoad ? Omit<M, 'id'> : never) : never, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.proc.connected) return reject(new Error('load generator is not running'));
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`load generator: ${msg.t} not answered within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.proc.send({ ...msg, id } as ToLoad);
    });
  }

  throughput(spec: LoadSpec): Promise<ThroughputResult> {
    return this.ask({ t: 'throughput', spec }, (warmupMs * 2 + spec.seconds * 2_000) + childAskMarginMs);
  }
  failoverStart(spec: Pick<LoadSpec, 'servers' | 'size' | 'parent'>, serverIndexes: readonly number[], round: number): Promise<void> {
    return this.ask({ t: 'failoverStart', spec, serverIndexes, round }, childAskMarginMs);
  }
  failoverProgress(): Promise<WriterProgress> {
    return this.ask({ t: 'failoverProgress' }, childAskMarginMs);
  }
  failoverStop(): Promise<FailoverSummary> {
    return this.ask({ t: 'failoverStop' }, childAskMarginMs);
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.disconnect();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  }
}
