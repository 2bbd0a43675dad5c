/**
 * The test command: runs every compiled `*.test.js` under dist/test in its own process (workers, ports and
 * servers never leak between files), two at a time, and ends with the line `N passed, N failed`.
 * `npm test -- <substring>` runs only the files whose path contains it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fileTimeoutMs = Number(process.env.CONCLAVE_TEST_FILE_TIMEOUT_MS ?? 600_000);
const parallelFilesMax = Number(process.env.CONCLAVE_TEST_PARALLEL ?? 2);

function find(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
  ms: number;
}

function runFile(file: string): Promise<FileResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, 'one.js'), file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n(timed out after ${fileTimeoutMs} ms)\n`;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /@@uvu total=(\d+) passed=(\d+) skipped=(\d+)/.exec(output);
      let passed = 0;
      let failed = 1;
      let skipped = 0;
      if (m) {
        const total = Number(m[1]);
        passed = Number(m[2]);
        skipped = Number(m[3]);
        failed = total - passed;
        if (code !== 0 && failed === 0) failed = 1; // the file crashed outside a test
      }
      resolve({ file, passed, failed, skipped, output, ms: Date.now() - t0 });
    });
  });
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files = find(here).filter((f) => !filter || relative(here, f).includes(filter));
  const results: FileResult[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < files.length) {
      const f = files[next++]!;
      const r = await runFile(f);
      results.push(r);
      const mark = r.failed > 0 ? 'FAIL' : 'ok  ';
      process.stdout.write(`${mark} ${relative(here, f)}  ${r.passed} passed, ${r.failed} failed (${(r.ms / 1000).toFixed(1)} s)\n`);
      if (r.failed > 0 || process.env.CONCLAVE_TEST_VERBOSE) process.stdout.write(r.output.replace(/^/gm, '    ') + '\n');
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallelFilesMax, files.length) }, worker));
  const passed = results.reduce((a, r) => a + r.passed, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  const skipped = results.reduce((a, r) => a + r.skipped, 0);
  process.stdout.write(`\n${files.length} test files\n`);
  process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
}

void main();
