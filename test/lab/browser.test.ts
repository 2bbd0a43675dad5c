/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (no browser download) against
 * `conclave lab --runtime threads`. "kill leader" → a different leader shown within 1 s, the kill band drawn, the
 * client lanes mark failed operations; "heal" → throughput recovers; scrubbing back shows the old leader; then a
 * simulated run of scenarios/leader-kill.yaml, its report.html opened from disk, shows its verdict and its Lamport
 * diagram. Screenshots go to $CONCLAVE_TEST_OUTPUT (default: a temp
 * directory, printed). Skips with a note where /usr/bin/chromium is missing (apt-get install -y chromium).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeReport } from '../../src/lab/report.js';
import { runScenario } from '../../src/lab/run.js';
import { loadScenario } from '../../src/lab/scenario.js';
import { cliPath } from '../node/helpers.js';

// The functions passed to page.evaluate run in the page; these names are the page's (this project has no DOM lib).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare const requestAnimationFrame: (f: () => void) => void;
declare const Event: new (type: string) => unknown;

export const chromiumPath = '/usr/bin/chromium';
export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const labStartTimeoutMs = 40_000;

/** `conclave lab` on a free port; resolves with the process and the dashboard URL. */
export function startLabProcess(args: string[] = []): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliPath, 'lab', '--runtime', 'threads', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`conclave lab did not start within ${labStartTimeoutMs} ms: ${out}`));
    }, labStartTimeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      const m = /"url":"([^"]+)"/.exec(out); // the JSON log line's url field
      if (m !== null) {
        clearTimeout(t);
        resolve({ proc, url: m[1]! });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`conclave lab exited (${code}): ${out}`)));
  });
}

export function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill('SIGINT');
  });
}

const outDir = process.env.CONCLAVE_TEST_OUTPUT ?? mkdtempSync(join(tmpdir(), 'conclave-lab-screens-'));

if (!existsSync(chromiumPath)) {
  test.skip('dashboard in chromium (chromium not installed: apt-get install -y chromium)', () => undefined);
  console.log(`note: ${chromiumPath} not installed; browser test skipped (apt-get install -y chromium)`);
} else {
  test('kill leader, heal, and a sim run report, in chromium', async () => {
    const { chromium } = await import('playwright-core');
    mkdirSync(outDir, { recursive: true });
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
    const lab = await startLabProcess(['--clients', '2']);
    const runDir = mkdtempSync(join(tmpdir(), 'conclave-simrun-'));
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      await page.goto(lab.url);
      // a leader shown and the workload running
      await page.waitForFunction(() => document.getElementById('leader')!.dataset.leader !== '' && window.lab.drawn.okOps > 20, null, { timeout: 20_000 });
      await page.waitForTimeout(1500);
      const before = await page.evaluate(() => ({ leader: document.getElementById('leader')!.dataset.leader!, throughput: window.lab.drawn.throughput as number }));
      assert.ok(before.throughput > 0, `throughput before the kill: ${before.throughput}`);
      await page.screenshot({ path: join(outDir, 'lab-before.png') });

      await page.click('button:text("kill leader")');
      await page.waitForFunction((old) => {
        const l = document.getElementById('leader')!.dataset.leader;
        return l !== '' && l !== old;
      }, before.leader, { timeout: 5_000 });
      const shownAt: number = await page.evaluate(() => performance.timeOrigin + performance.now());
      // from the page's own click handler (the browser's click, not the test driver's round trips)
      const clickedAt: number = await page.evaluate(() => window.lab.posts.find((p: { body: { fault: string } }) => p.body.fault === 'kill').at);
      const newLeaderMs = shownAt - clickedAt;
      const after = await page.evaluate(() => document.getElementById('leader')!.dataset.leader!);
      const times = await page.evaluate(() => {
        const ev = window.lab.events.map((i: { t: number; e: { type: string; fault?: { kind: string } } }) => i);
        const kill = ev.find((i: { e: { type: string; fault?: { kind: string } } }) => i.e.type === 'FaultInjected' && i.e.fault!.kind === 'kill');
        const elected = ev.filter((i: { t: number; e: { type: string } }) => i.e.type === 'LeaderElected' && i.t > kill.t)[0];
        return { killT: kill.t, electedT: elected?.t, tEnd: window.lab.tEnd };
      });
      const marks = await page.evaluate(() => window.lab.marks as { type: string; t: number; arrived: number }[]);
      const killMark = marks.find((m) => m.type === 'FaultInjected' && m.t === times.killT);
      const electedMark = marks.find((m) => m.type === 'LeaderElected' && m.t === times.electedT);
      console.log(
        `click → kill event on the page ${(killMark!.arrived - clickedAt).toFixed(0)} ms; election on the cluster ${(times.electedT - times.killT).toFixed(0)} ms; ` +
          `LeaderElected on the page ${(electedMark!.arrived - clickedAt).toFixed(0)} ms after the click`,
      );
      assert.is.not(after, before.leader);
      assert.ok(newLeaderMs < 1_000, `a different leader shown ${newLeaderMs} ms after the click (at most 1000)`);
      console.log(`new leader ${after} shown ${newLeaderMs} ms after "kill leader" (was ${before.leader})`);

      // the kill band is drawn on the event lanes: listed as drawn, and its pixels tinted with the kill colour
      await page.waitForFunction(() => window.lab.drawn.bands.some((b: { kind: string }) => b.kind === 'kill'), null, { timeout: 2_000 });
      const tint = await page.evaluate(() => {
        const b = window.lab.drawn.bands.find((x: { kind: string }) => x.kind === 'kill');
        const c = document.getElementById('lanes') ;
        const x = Math.floor((b.x0 + b.x1) / 2);
        const [r, g, bl] = c.getContext('2d')!.getImageData(x, c.height - 18, 1, 1).data;
        return { r, g, b: bl };
      });
      assert.ok(tint.r > tint.g + 10 && tint.r > tint.b + 10, `kill band pixel ${JSON.stringify(tint)} is red-tinted`);
      // the client lanes mark the operations that failed (or never returned) because of the kill
      await page.waitForFunction(
        (killT) => window.lab.drawn.failedOps > 0 && window.lab.ops.some((i: { op: { outcome: string; callMs: number } }) => i.op.outcome !== 'ok' && i.op.callMs >= killT - 1_000),
        times.killT,
        { timeout: 8_000 },
      );
      await page.screenshot({ path: join(outDir, 'lab-killed.png') });

      await page.click('button:text("heal")');
      // every node back (the killed one restarted), then the throughput back to at least half of what it was
      await page.waitForFunction(() => window.lab.posts.some((p: { body: { fault: string } }) => p.body.fault === 'restart'), null, { timeout: 10_000 });
      await page.waitForFunction(() => !/down|starting/.test(document.getElementById('strips')!.textContent), null, { timeout: 20_000 });
      await page.waitForFunction((want) => window.lab.drawn.throughput >= want, before.throughput * 0.5, { timeout: 20_000 });
      const healed = await page.evaluate(() => ({ throughput: window.lab.drawn.throughput as number }));
      console.log(`throughput ${before.throughput} ops/s before, ${healed.throughput} ops/s after heal (every node back)`);
      await page.screenshot({ path: join(outDir, 'lab-healed.png') });

      // scrubbing back to before the kill shows the old leader again (inverse patches)
      const rewound = await page.evaluate((t) => {
        const s = document.getElementById('scrubber') ;
        s.value = String(t);
        s.dispatchEvent(new Event('input'));
        return new Promise<string>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(document.getElementById('leader')!.dataset.leader!))));
      }, await page.evaluate(() => window.lab.bands.find((b: { kind: string }) => b.kind === 'kill').start - 300));
      assert.is(rewound, before.leader, 'rewound to before the kill: the old leader');

      // a simulated run's report.html, opened from disk
      const scenario = loadScenario(join(cliPath, '../../../scenarios/leader-kill.yaml'));
      const r = await runScenario(scenario, { runtime: 'sim', seed: 7, runsDir: runDir });
      const verdict = r.verdict;
      const file = writeReport(r.dir, verdict);
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction(() => window.lab.renders > 0, null, { timeout: 5_000 });
      const shown = await page.evaluate(() => ({ verdict: document.getElementById('verdict')!.dataset.verdict, arrows: window.lab.drawn.arrows as number }));
      assert.is(shown.verdict, verdict.verdict);
      assert.ok(shown.arrows > 0, 'the Lamport diagram draws the messages of the visible window');
      await page.screenshot({ path: join(outDir, 'lab-report.png') });
      console.log(`screenshots in ${outDir}`);
    } finally {
      await browser.close();
      await stopProcess(lab.proc);
      rmSync(runDir, { recursive: true, force: true });
    }
  });
}

test.run();
