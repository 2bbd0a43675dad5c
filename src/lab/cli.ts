/**
 * `conclave lab run | check | replay | shrink` (docs/lab.md): the scenario runner and the tools on recorded runs.
 * Exit codes: 0 valid (replay: same hashes), 1 violation (replay: different), 2 unknown or an error.
 */
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import type { Verdict } from './history.js';
import type { LabRuntime } from './scenario.js';
import { processLogger } from '../log.js';

// the runner and what it loads (the cluster, the actors) are imported when a subcommand runs
const runner = () => import('./run.js');

/** Findings printed in the verdict table, at most (the rest are in verdict.json). */
export const findingsShownMax = 10;

function verdictTable(v: Verdict, extra: Record<string, string | number> = {}): string {
  const rows: [string, string][] = [
    ['verdict', v.verdict],
    ['operations checked', String(v.checkedOps)],
    ['check time', `${v.elapsedMs.toFixed(1)} ms`],
    ...Object.entries(extra).map(([k, x]): [string, string] => [k, String(x)]),
    ...(v.validPrefix !== undefined ? [['valid prefix', `${v.validPrefix} ops`] as [string, string]] : []),
    ...v.findings.slice(0, findingsShownMax).map((f, i): [string, string] => [i === 0 ? 'findings' : '', f]),
    ...(v.findings.length > findingsShownMax ? [['', `... ${v.findings.length - findingsShownMax} more in verdict.json`] as [string, string]] : []),
    ...(v.ops.length > 0 ? [['explained by ops', v.ops.slice(0, 20).join(', ')] as [string, string]] : []),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const line = `+${'-'.repeat(w + 2)}+${'-'.repeat(60)}`;
  return [line, ...rows.map(([k, x]) => `| ${k.padEnd(w)} | ${x}`), line].join('\n');
}

const fail = (what: string, e: unknown): number => {
  process.stderr.write(`conclave lab ${what}: ${(e as Error).message}\n`);
  return 2;
};

function runtimeOf(v: string | undefined): LabRuntime | undefined {
  if (v === undefined) return undefined;
  if (v !== 'sim' && v !== 'threads' && v !== 'tcp') throw new Error(`--runtime must be sim, threads or tcp, not '${v}'`);
  return v;
}

/** Adds the subcommands to `conclave lab`. */
export function registerLabRunCommands(lab: Command): void {
  lab
    .command('run')
    .description('run a scenario, record runs/<id>/ and check its history (exit 0 valid, 1 violation, 2 unknown)')
    .argument('<scenario.yaml>')
    .option('--runtime <kind>', 'sim | threads | tcp (default: the scenario\'s)')
    .option('--seed <hex>', 'the seed (0x...; default: the scenario\'s, else 0x00000001)')
    .option('--runs <dir>', 'where run directories go', 'runs')
    .option('--netns', 'tcp: each node in its own network namespace, partitions as routes (root and `ip netns` needed)')
    .action(async (file: string, o: { runtime?: string; seed?: string; runs: string; netns?: boolean }) => {
      try {
        if (o.netns === true) {
          const why = (await import('../runtime/tcp/netns.js')).netnsUnavailable();
          if (why !== null) throw new Error(`--netns: ${why}`);
        }
        const [{ runScenario, exitCodeOf }, { loadScenario, parseSeedValue }] = await Promise.all([runner(), import('./scenario.js')]);
        const scenario = loadScenario(file);
        const bar = new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} ms | {ops} ops', hideCursor: true }, Presets.shades_classic);
        bar.start(scenario.durationMs, 0, { ops: 0 });
        const r = await runScenario(scenario, {
          logger: processLogger(),
          ...(o.runtime !== undefined ? { runtime: runtimeOf(o.runtime)! } : {}),
          ...(o.seed !== undefined ? { seed: parseSeedValue(o.seed) } : {}),
          runsDir: o.runs,
          ...(o.netns === true ? { netns: true } : {}),
          onProgress: (p) => bar.update(Math.round(p.elapsedMs), { ops: p.ops }),
        }).finally(() => bar.stop());
        const report = (await import('./report.js')).writeReport(r.dir, r.verdict);
        process.stdout.write(`${r.dir}  (${r.run.runtime}, seed=${r.run.seed})  ${report}\n`);
        process.stdout.write(verdictTable(r.verdict, { operations: r.run.ops, ...(r.run.traceHash !== null ? { 'trace hash': r.run.traceHash.slice(0, 16) } : {}), 'history hash': r.run.historyHash.slice(0, 16) }) + '\n');
        process.exitCode = exitCodeOf(r.verdict);
      } catch (e) {
        process.exitCode = fail('run', e);
      }
    });

  lab
    .command('check')
    .description('re-check a recorded run\'s history (exit 0 valid, 1 violation, 2 unknown)')
    .argument('<run-dir>')
    .option('--budget-ms <ms>', 'the checker\'s time budget')
    .action(async (dir: string, o: { budgetMs?: string }) => {
      try {
        const { readRun, checkRecorded, exitCodeOf } = await runner();
        const { history } = readRun(dir);
        const v = checkRecorded(dir, history, o.budgetMs !== undefined ? Number(o.budgetMs) : undefined);
        (await import('./report.js')).writeReport(dir, v);
        process.stdout.write(verdictTable(v) + '\n');
        process.exitCode = exitCodeOf(v);
      } catch (e) {
        process.exitCode = fail('check', e);
      }
    });

  lab
    .command('replay')
    .description('re-run a sim run from its seed; fails (exit 1) unless the event trace and the history hash the same')
    .argument('<run-dir>')
    .action(async (dir: string) => {
      try {
        const r = await (await runner()).replayRun(dir);
        process.stdout.write(`trace   recorded ${r.traceHash.recorded}\n        replayed ${r.traceHash.replayed}\nhistory recorded ${r.historyHash.recorded}\n        replayed ${r.historyHash.replayed}\n${r.same ? 'same' : 'DIFFERENT'}\n`);
        process.exitCode = r.same ? 0 : 1;
      } catch (e) {
        process.exitCode = fail('replay', e);
      }
    });

  lab
    .command('shrink')
    .description('cut a failing sim run\'s fault plan down to the fewest faults that still fail; writes shrunk.yaml')
    .argument('<run-dir>')
    .action(async (dir: string) => {
      try {
        const r = await (await runner()).shrinkRun(dir, (runs, faults) => processLogger().info({ actor: 'lab', runs, faults }, `shrink run ${runs}: ${faults} faults`));
        process.stdout.write(`${r.faults.length} faults still fail (${r.removed} removed in ${r.runs} runs): ${r.path}\n`);
        process.exitCode = 0;
      } catch (e) {
        process.exitCode = fail('shrink', e);
      }
    });
}
