/**
 * Shared by the real-client tests (kazoo, the C client cli_mt, the Java client): where their scripts live in the
 * source tree, which clients are installed, a runner for a "CHECK <name> ok|FAIL <detail>" program, and stopping
 * the server a session is connected to.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import type { Started } from '../../src/start.js';
import { ports, startCluster } from './cluster-helpers.js';

/** The repository root: tests run from dist/, client scripts are read from the source tree. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test');
    dir = up;
  }
  return dir;
}

export const clientsDir = (): string => join(repoRoot(), 'test', 'zookeeper', 'clients');

/** Debian's python (python3 on PATH may be a pyenv shim without kazoo). */
export const debianPython = '/usr/bin/python3';
export const cliMt = '/usr/lib/zookeeper/bin/cli_mt';
export const javaBin = '/usr/bin/java';
export const zookeeperJar = '/usr/share/java/zookeeper.jar';
/** zookeeper.jar's manifest Class-Path brings netty, commons and the rest. */
export const javaClassPath = [zookeeperJar, '/usr/share/java/zookeeper-jute.jar', '/usr/share/java/slf4j-api.jar'].join(':');

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ProgramRun {
  readonly checks: readonly CheckResult[];
  /** The program printed its DONE line. */
  readonly done: boolean;
  readonly exitCode: number | null;
  readonly output: string;
}

/**
 * Runs a check program. A line `KILL <session hex>` calls `onKill` and then writes `KILLED` to the program's stdin.
 * The program is killed (SIGKILL, by its pid) after `timeoutMs`.
 */
export function runCheckProgram(cmd: string, args: readonly string[], opts: { readonly timeoutMs: number; readonly cwd?: string; readonly onKill?: (sessionHex: string) => Promise<void> }): Promise<ProgramRun> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const checks: CheckResult[] = [];
    let output = '';
    let done = false;
    let pending = '';
    const timer = setTimeout(() => {
      output += `\n(killed after ${opts.timeoutMs} ms)\n`;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    const onLine = (line: string) => {
      const m = /^CHECK (\S+) (ok|FAIL)\s?(.*)$/.exec(line);
      if (m) checks.push({ name: m[1]!, ok: m[2] === 'ok', detail: m[3] ?? '' });
      else if (line.startsWith('DONE')) done = true;
      const k = /^KILL ([0-9a-f]+)$/.exec(line);
      if (k) {
        const reply = (text: string) => {
          if (!child.stdin.destroyed) child.stdin.write(`${text}\n`);
        };
        (opts.onKill ?? (() => Promise.resolve()))(k[1]!).then(
          () => reply('KILLED'),
          (e: unknown) => {
            output += `\nkill failed: ${String(e)}\n`;
            reply('KILL-FAILED');
          },
        );
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      output += text;
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => (output += `\nspawn failed: ${e.message}\n`));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pending !== '') onLine(pending);
      resolve({ checks, done, exitCode: code, output });
    });
  });
}

/** The node whose client port holds a connection of this session (waits up to `waitMs` for it to show up). */
export async function nodeOfSession(s: Started, sessionId: bigint, waitMs = 10_000): Promise<string> {
  const end = Date.now() + waitMs;
  for (;;) {
    for (const [node, z] of s.zk) {
      if ([...z.connections].some((c) => c.sessionId === sessionId && c.phase === 'established')) return node;
    }
    if (Date.now() > end) throw new Error(`no connection of session 0x${sessionId.toString(16)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops the node serving that session (its clients must move to another server with the same session). */
export async function killServerOf(s: Started, sessionHex: string): Promise<string> {
  const node = await nodeOfSession(s, BigInt(`0x${sessionHex}`));
  await s.cluster.kill(node);
  return node;
}

/** Fails with every failed check and the program's output when any expected check is missing or failed. */
export function problemsOf(run: ProgramRun, expected: readonly string[]): string | undefined {
  const byName = new Map(run.checks.map((c) => [c.name, c]));
  const problems: string[] = [];
  for (const name of expected) {
    const c = byName.get(name);
    if (c === undefined) problems.push(`${name}: not run`);
    else if (!c.ok) problems.push(`${name}: ${c.detail}`);
  }
  for (const c of run.checks) if (!c.ok && !expected.includes(c.name)) problems.push(`${c.name}: ${c.detail}`);
  if (!run.done) problems.push(`no DONE line (exit ${run.exitCode})`);
  return problems.length === 0 ? undefined : `${problems.join('\n')}\n--- output ---\n${run.output.slice(-6000)}`;
}

/**
 * Starts the embedded cluster, runs a check program with its connect string and `root` as the last two arguments,
 * stops the server under the session when the program asks, and asserts every expected check passed.
 */
export async function runAgainstCluster(cmd: string, args: readonly string[], root: string, opts: { readonly timeoutMs: number; readonly cwd?: string; readonly expected: readonly string[] }): Promise<void> {
  const s = await startCluster();
  try {
    const hosts = ports(s).map((p) => `127.0.0.1:${p}`).join(',');
    let killed = '';
    const run = await runCheckProgram(cmd, [...args, hosts, root], {
      timeoutMs: opts.timeoutMs,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      onKill: async (hex) => {
        killed = await killServerOf(s, hex);
      },
    });
    const problems = problemsOf(run, opts.expected);
    assert.ok(problems === undefined, problems);
    assert.ok(killed !== '', 'a server was stopped under the session');
  } finally {
    await s.close();
  }
}
