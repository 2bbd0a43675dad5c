/**
 * Three-member ensembles on loopback for `conclave bench zk`, started from the same zoo.cfg text
 * (shared/spec/peers.md §2, on free ports): `conclave node <zoo.cfg>` processes, or Apache ZooKeeper
 * (`QuorumPeerMain <zoo.cfg>` JVMs from Debian's package). Only the pids started here are ever signalled; the
 * scratch directory is removed on stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { epochOfSrvr, fourLetterWord, modeOfSrvr, sleep, type ServerAddress } from './zk-wire.js';
import { freePorts } from '../src/runtime/tcp/ports.js';

export type System = 'conclave' | 'zookeeper';

export const zookeeperJar = '/usr/share/java/zookeeper.jar';
const zookeeperClassPath = [
  zookeeperJar,
  '/usr/share/java/zookeeper-jute.jar',
  '/usr/share/java/servlet-api.jar',
  '/usr/share/java/slf4j-log4j12.jar',
  '/usr/share/java/log4j-1.2.jar',
].join(':');
const cliPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

export const membersCount = 3;
/** Attempts to start the ensemble (fresh ports each time). */
export const startAttemptsMax = 2;
/** Whole-ensemble start (every member answering `srvr` with a mode) at most, per attempt. */
export const startWaitMaxMs = 90_000;
/** `srvr` polling period while waiting for a leader or a member. */
export const srvrPollMs = 20;
/** SIGTERM → SIGKILL grace (peers.md: stop with TERM, KILL after 10 s). */
export const stopGraceMs = 10_000;

export function zookeeperInstalled(): boolean {
  return existsSync(zookeeperJar);
}


interface MemberPorts {
  readonly client: number;
  readonly quorum: number;
  readonly election: number;
  readonly admin: number;
  /** RESP port (`redisPort=`, conclave only; 0 when not asked for). */
  readonly redis: number;
}

/** Every pid this process started and has not seen exit: killed if the bench itself exits early. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(p: ChildProcess): void {
  live.add(p);
  p.once('exit', () => live.delete(p));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }
}

export class Ensemble {
  readonly base: string;
  readonly servers: ServerAddress[] = [];
  /** Each member's RESP port (conclave members, when constructed with `redis`). */
  readonly redisPorts: number[] = [];
  private ports: MemberPorts[] = [];
  private readonly procs: (ChildProcess | null)[] = [];

  /** `nodeArgs`: extra node flags for conclave members (e.g. `--cpu-prof`); `redis`: serve RESP (`redisPort=`). */
  constructor(
    readonly system: System,
    private readonly nodeArgs: readonly string[] = [],
    private readonly redis = false,
  ) {
    this.base = mkdtempSync(join(tmpdir(), `conclave-bench-${system}-`));
  }

  private dir(i: number): string {
    return join(this.base, `node${i + 1}`);
  }

  /**
   * Write the configs (peers.md §2 on free ports), start every member, wait until all serve; returns ms. A failed
   * start (e.g. a port taken by someone else between choosing and binding it) is retried on fresh ports, up to
   * `startAttemptsMax` attempts; the error of the last one is thrown.
   */
  async start(onRetry: (why: string) => void = () => undefined): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (e) {
        await this.stopMembers();
        if (attempt >= startAttemptsMax) throw e;
        onRetry((e as Error).message);
      }
    }
  }

  private async startOnce(): Promise<number> {
    this.servers.length = 0;
    this.redisPorts.length = 0;
    this.procs.length = 0;
    const p = await freePorts(membersCount * 5);
    this.ports = Array.from({ length: membersCount }, (_, i) => ({ client: p[i * 5]!, quorum: p[i * 5 + 1]!, election: p[i * 5 + 2]!, admin: p[i * 5 + 3]!, redis: this.redis ? p[i * 5 + 4]! : 0 }));
    const serverLines = this.ports.map((m, i) => `server.${i + 1}=127.0.0.1:${m.quorum}:${m.election}`);
    for (let i = 0; i < membersCount; i++) {
      const d = this.dir(i);
      rmSync(d, { recursive: true, force: true });
      mkdirSync(join(d, 'data'), { recursive: true });
      writeFileSync(join(d, 'data', 'myid'), `${i + 1}\n`);
      const cfg = [
        'tickTime=2000',
        'initLimit=10',
        'syncLimit=5',
        `dataDir=${join(d, 'data')}`,
        `clientPort=${this.ports[i]!.client}`,
        'clientPortAddress=127.0.0.1',
        'maxClientCnxns=0',
        '4lw.commands.whitelist=*',
        'admin.enableServer=true',
        'admin.serverAddress=127.0.0.1',
        `admin.serverPort=${this.ports[i]!.admin}`,
        ...(this.ports[i]!.redis > 0 ? [`redisPort=${this.ports[i]!.redis}`] : []),
        ...serverLines,
      ];
      writeFileSync(join(d, 'zoo.cfg'), `${cfg.join('\n')}\n`);
      writeFileSync(
        join(d, 'log4j.properties'),
        ['log4j.rootLogger=INFO, F', 'log4j.appender.F=org.apache.log4j.ConsoleAppender', 'log4j.appender.F.layout=org.apache.log4j.PatternLayout', 'log4j.appender.F.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n', ''].join('\n'),
      );
      this.servers.push({ host: '127.0.0.1', port: this.ports[i]!.client });
      this.redisPorts.push(this.ports[i]!.redis);
    }
    const t0 = performance.now();
    for (let i = 0; i < membersCount; i++) this.spawn(i);
    await this.waitAllServing(startWaitMaxMs);
    return performance.now() - t0;
  }

  private spawn(i: number): void {
    const d = this.dir(i);
    const cfg = join(d, 'zoo.cfg');
    const fd = openSync(join(d, 'server.log'), 'a');
    try {
      const proc =
        this.system === 'conclave'
          ? spawn(process.execPath, [...this.nodeArgs, cliPath, 'node', cfg], { stdio: ['ignore', fd, fd], env: { ...process.env, NODE_ENV: 'production' } })
          : spawn(
              'java',
              [
                '-Xmx256m',
                `-Dzookeeper.log.dir=${d}`,
                `-Dlog4j.configuration=file:${join(d, 'log4j.properties')}`,
                '-Dzookeeper.extendedTypesEnabled=true',
                '-cp',
                zookeeperClassPath,
                'org.apache.zookeeper.server.quorum.QuorumPeerMain',
                cfg,
              ],
              { stdio: ['ignore', fd, fd] },
            );
      proc.on('error', () => undefined);
      track(proc);
      this.procs[i] = proc;
    } finally {
      closeSync(fd);
    }
  }

  /** The `srvr` mode of member i (null while it does not serve). */
  async modeOf(i: number): Promise<string | null> {
    return modeOfSrvr(await fourLetterWord(this.servers[i]!, 'srvr'));
  }

  /** The highest zxid epoch any member's `srvr` reports (-1 when none answers): it grows with each new leader. */
  async epoch(): Promise<number> {
    const e = await Promise.all(this.servers.map(async (a) => epochOfSrvr(await fourLetterWord(a, 'srvr'))));
    return Math.max(-1, ...e.filter((x): x is number => x !== null));
  }

  async modes(): Promise<(string | null)[]> {
    return Promise.all(this.servers.map((_, i) => this.modeOf(i)));
  }

  private async waitAllServing(maxMs: number): Promise<void> {
    const t0 = performance.now();
    while (performance.now() - t0 < maxMs) {
      const m = await this.modes();
      if (m.filter((x) => x === 'leader').length === 1 && m.every((x) => x === 'leader' || x === 'follower')) return;
      this.checkAlive();
      await sleep(srvrPollMs * 5);
    }
    throw new Error(`${this.system}: the ensemble did not serve within ${maxMs} ms (logs in ${this.base})`);
  }

  private checkAlive(): void {
    this.procs.forEach((p, i) => {
      if (p !== null && p !== undefined && (p.exitCode !== null || p.signalCode !== null)) throw new Error(`${this.system}: member ${i + 1} exited (${p.exitCode ?? p.signalCode}); see ${join(this.dir(i), 'server.log')}`);
    });
  }

  /** The member whose `srvr` says leader, among `among` (default all), or -1. */
  async leader(among: readonly number[] = [0, 1, 2]): Promise<number> {
    const m = await Promise.all(among.map((i) => this.modeOf(i)));
    const k = m.indexOf('leader');
    return k < 0 ? -1 : among[k]!;
  }

  /** Poll `srvr` on `among` until one answers leader; its index and the ms waited. */
  async waitLeader(among: readonly number[], maxMs: number): Promise<{ leader: number; waitedMs: number }> {
    const t0 = performance.now();
    while (performance.now() - t0 < maxMs) {
      const l = await this.leader(among);
      if (l >= 0) return { leader: l, waitedMs: performance.now() - t0 };
      await sleep(srvrPollMs);
    }
    throw new Error(`${this.system}: no leader among members ${among.map((i) => i + 1).join(',')} within ${maxMs} ms`);
  }

  /** SIGKILL member i (a pid started here). */
  async kill(i: number): Promise<void> {
    const p = this.procs[i];
    if (p === null || p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
    this.procs[i] = null;
  }

  /** Start member i again on its data dir; resolves when it serves as leader or follower (ms), bounded. */
  async restart(i: number, maxMs: number): Promise<number> {
    const t0 = performance.now();
    this.spawn(i);
    while (performance.now() - t0 < maxMs) {
      const m = await this.modeOf(i);
      if (m === 'leader' || m === 'follower') return performance.now() - t0;
      this.checkAlive();
      await sleep(srvrPollMs * 5);
    }
    throw new Error(`${this.system}: member ${i + 1} did not rejoin within ${maxMs} ms`);
  }

  /** SIGTERM every member started here, SIGKILL after the grace; then remove the scratch directory. */
  async stop(keepDir = false): Promise<void> {
    await this.stopMembers();
    if (!keepDir) rmSync(this.base, { recursive: true, force: true });
  }

  private async stopMembers(): Promise<void> {
    await Promise.all(
      this.procs.map(async (p) => {
        if (p === null || p === undefined || p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise<void>((r) => p.once('exit', () => r()));
        p.kill('SIGTERM');
        const t = setTimeout(() => p.kill('SIGKILL'), stopGraceMs);
        await exited;
        clearTimeout(t);
      }),
    );
  }
}
