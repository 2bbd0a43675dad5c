/**
 * Test helpers for `conclave node`: free loopback ports, generated zoo.cfg + myid per member, member processes
 * forked from the compiled CLI with an IPC control channel (a ZkGateway for ZkClient), and the admin endpoint.
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';
import type { ZkGateway } from '../../src/cluster.js';
import type { Address, AnyMessage, Message } from '../../src/protocol/envelope.js';
import type { ClusterEvent } from '../../src/protocol/events.js';
import type { FromNode, ToNode } from '../../src/runtime/tcp/ipc.js';
import { freePorts } from '../../src/runtime/tcp/ports.js';
export { freePorts };

export const cliPath = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');

/** A CLI run that has not exited within this is killed (and rejected). */
export const cliRunTimeoutMs = 60_000;

/**
 * Runs `conclave <args>` to its exit; `onOut` sees the output so far (and the pid, to signal it). Resolves with the
 * exit code and both outputs; rejects if it has not exited within `timeoutMs`.
 */
export function runCli(
  args: readonly string[],
  o: { readonly onOut?: (stdout: string, pid: number) => void; readonly timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const timeoutMs = o.timeoutMs ?? cliRunTimeoutMs;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`conclave ${args.join(' ')}: no exit within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      o.onOut?.(stdout, p.pid!);
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}


export interface MemberPorts {
  readonly id: number;
  readonly quorum: number;
  readonly election: number;
  readonly client: number;
  readonly admin: number;
  readonly eureka: number;
  readonly redis: number;
}

/**
 * Write `<base>/n<id>/zoo.cfg` and `<base>/n<id>/data/myid` for every member (the `observers` among them get
 * `:observer` on their server line); returns the config paths.
 */
export async function writeEnsemble(
  base: string,
  ids: readonly number[],
  extra = '',
  observers: readonly number[] = [],
): Promise<{ cfgs: Map<number, string>; ports: Map<number, MemberPorts> }> {
  const p = await freePorts(ids.length * 6);
  const ports = new Map<number, MemberPorts>();
  ids.forEach((id, i) => ports.set(id, { id, quorum: p[i * 6]!, election: p[i * 6 + 1]!, client: p[i * 6 + 2]!, admin: p[i * 6 + 3]!, eureka: p[i * 6 + 4]!, redis: p[i * 6 + 5]! }));
  const serverLines = ids.map((id) => `server.${id}=127.0.0.1:${ports.get(id)!.quorum}:${ports.get(id)!.election}${observers.includes(id) ? ':observer' : ''}`).join('\n');
  const cfgs = new Map<number, string>();
  for (const id of ids) {
    const dir = join(base, `n${id}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'myid'), `${id}\n`);
    const mp = ports.get(id)!;
    const cfg = [
      'tickTime=2000',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${mp.client}`,
      'clientPortAddress=127.0.0.1',
      'maxClientCnxns=0',
      '4lw.commands.whitelist=*',
      'admin.enableServer=true',
      'admin.serverAddress=127.0.0.1',
      `admin.serverPort=${mp.admin}`,
      `eurekaPort=${mp.eureka}`,
      `redisPort=${mp.redis}`,
      serverLines,
      extra,
    ].join('\n');
    writeFileSync(join(dir, 'zoo.cfg'), cfg + '\n');
    cfgs.set(id, join(dir, 'zoo.cfg'));
  }
  return { cfgs, ports };
}

/** One `conclave node` process, with its output and an IPC gateway into its actors. */
export class MemberProcess {
  readonly proc: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly ready: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly events = new Subject<ClusterEvent>();
  private seq = 0;

  constructor(
    readonly id: number,
    cfgPath: string,
  ) {
    this.proc = fork(cliPath, ['node', cfgPath, '--control', 'ipc'], { serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    // 'ready' comes over IPC, the start lines over stdout: the two pipes keep no order between them, so ready
    // waits for both (a test reading `output` after `ready` sees the start lines)
    let started!: () => void;
    const startLine = new Promise<void>((r) => (started = r));
    const onOutput = (d: Buffer): void => {
      this.output += d;
      if (/ started in \d+ ms/.test(this.output)) started();
    };
    this.proc.stdout!.on('data', onOutput);
    this.proc.stderr!.on('data', onOutput);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    this.ready = new Promise((resolve, reject) => {
      this.proc.once('exit', (code) => reject(new Error(`member ${id} exited (${code}) before it was ready:\n${this.output}`)));
      this.proc.on('message', (raw) => {
        const m = raw as FromNode;
        if (m.t === 'ready') void startLine.then(resolve);
        else if (m.t === 'reply' || m.t === 'replyError') {
          const p = this.pending.get(m.id);
          if (p === undefined) return;
          this.pending.delete(m.id);
          clearTimeout(p.timer);
          if (m.t === 'reply') p.resolve(m.msg);
          else p.reject(Object.assign(new Error(m.message), { name: m.name }));
        } else if (m.t === 'events') {
          for (const [time, ev] of m.list) this.events.next({ ...ev, time, seq: this.seq++, node: `n${id}` } as ClusterEvent);
        }
      });
    });
    this.ready.catch(() => undefined);
  }

  get gateway(): ZkGateway {
    return {
      ask: <R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R> =>
        new Promise<R>((resolve, reject) => {
          if (!this.proc.connected) return reject(new Error(`member ${this.id} is not running`));
          const id = this.nextId++;
          const timer = setTimeout(() => {
            this.pending.delete(id);
            reject(new Error(`ask ${msg.type} to ${to} timed out after ${timeoutMs} ms`));
          }, timeoutMs);
          this.pending.set(id, { resolve: resolve as (m: Message) => void, reject, timer });
          const m: ToNode = { t: 'ask', id, to, msg, timeoutMs };
          this.proc.send(m);
        }),
      send: (to, msg) => {
        if (this.proc.connected) this.proc.send({ t: 'send', env: { to, from: null, msg } } satisfies ToNode);
      },
      events$: this.events,
      now: () => Date.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    };
  }

  signal(sig: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.signal('SIGTERM');
    const t = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(t);
      for (const p of this.pending.values()) clearTimeout(p.timer);
    }
  }
}

export async function admin(port: number, command: string): Promise<Record<string, unknown> | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/commands/${command}`, { signal: AbortSignal.timeout(2_000) });
    return (await r.json()) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Poll the members' admin `leader` until one leads and every given member agrees on it; returns its id. */
export async function waitForLeader(ports: readonly MemberPorts[], timeoutMs: number, not?: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const answers = await Promise.all(ports.map((p) => admin(p.admin, 'leader')));
    const leaders = ports.filter((_, i) => answers[i]?.is_leader === true).map((p) => p.id);
    const agreed = answers.every((a) => a !== null && a.leader_id === leaders[0]);
    if (leaders.length === 1 && agreed && leaders[0] !== not) return leaders[0]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no agreed leader within ${timeoutMs} ms`);
}

/** A test's ensemble: generated zoo.cfg files under a temp dir, member processes started and stopped by id. */
export class Ensemble {
  readonly members = new Map<number, MemberProcess>();
  cfgs = new Map<number, string>();
  ports = new Map<number, MemberPorts>();
  base = '';

  constructor(
    readonly ids: readonly number[],
    readonly observers: readonly number[] = [],
  ) {}

  /** Writes the configs under a fresh temp dir named after `prefix`. */
  async write(prefix: string, extra = ''): Promise<void> {
    this.base = mkdtempSync(join(tmpdir(), prefix));
    ({ cfgs: this.cfgs, ports: this.ports } = await writeEnsemble(this.base, this.ids, extra, this.observers));
  }

  async start(id: number): Promise<MemberProcess> {
    const m = new MemberProcess(id, this.cfgs.get(id)!);
    this.members.set(id, m);
    await m.ready;
    return m;
  }

  member(id: number): MemberProcess {
    return this.members.get(id)!;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.stop()));
  }

  /** Stops every member and removes the temp dir. */
  async dispose(): Promise<void> {
    await this.stopAll();
    if (this.base !== '') rmSync(this.base, { recursive: true, force: true });
  }
}
