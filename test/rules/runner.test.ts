/**
 * The test runner's own guarantees (test/one.ts): a file that runs no test, registers its tests too late, or lets
 * an error escape (during the tests or shortly after the last one) fails, whatever its tests said.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const here = dirname(fileURLToPath(import.meta.url));
const one = join(here, '..', 'one.js');
// Inside dist/ so that `import 'uvu'` resolves; not named *.test.js, so the runner never picks them up.
const dir = join(here, `.runner-fixtures-${process.pid}`);

interface Outcome {
  readonly status: number | null;
  readonly total: number;
  readonly passed: number;
  readonly out: string;
}

function runFixture(name: string, body: string): Outcome {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.fixture.js`);
  writeFileSync(file, `import { test, suite } from 'uvu';\nimport * as assert from 'uvu/assert';\n${body}\n`);
  const r = spawnSync(process.execPath, [one, file], { encoding: 'utf8', timeout: 20_000 });
  const out = `${r.stdout}${r.stderr}`;
  const m = /@@uvu total=(\d+) passed=(\d+)/.exec(out);
  assert.ok(m !== null, `the runner printed its totals for ${name}:\n${out}`);
  return { status: r.status, total: Number(m[1]), passed: Number(m[2]), out };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a passing file passes', () => {
  const r = runFixture('good', `test('one', () => assert.is(1, 1));\ntest.run();`);
  assert.equal([r.status, r.total, r.passed], [0, 1, 1]);
});

test('a file that never calls run() fails', () => {
  const r = runFixture('norun', `test('one', () => assert.is(1, 1));`);
  assert.is.not(r.status, 0);
  assert.ok(r.total > r.passed, 'counted as failed');
  assert.match(r.out, /ran no test/);
});

test('a second suite without run() beside one that ran is caught by the static rule, a late run() at run time', () => {
  const r = runFixture('late', `test('one', () => assert.is(1, 1));\ntest.run();\nsetTimeout(() => { const s = suite('later'); s('two', () => assert.is(1, 2)); s.run(); }, 100);`);
  assert.is.not(r.status, 0);
  assert.match(r.out, /after the run began/);
});

test('a rejection 500 ms after the last test fails the file', () => {
  const r = runFixture('reject', `test('one', () => { setTimeout(() => Promise.reject(new Error('late boom')), 500); });\ntest.run();`);
  assert.is.not(r.status, 0);
  assert.ok(r.total > r.passed, 'counted as failed');
  assert.match(r.out, /late boom/);
});

test('an exception thrown from a timer during the tests fails the file', () => {
  const r = runFixture('throw', `test('one', async () => { setTimeout(() => { throw new Error('stray'); }, 10); await new Promise((ok) => setTimeout(ok, 50)); });\ntest.run();`);
  assert.is.not(r.status, 0);
  assert.match(r.out, /stray/);
});

/** The TypeScript test sources (the compiled tree mirrors them). */
function testSources(d: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) out.push(...testSources(p));
    else if (n.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

test('every suite a test file declares is run, after its last test (static rule)', () => {
  const srcRoot = join(here, '..', '..', '..', 'test');
  const files = testSources(srcRoot);
  assert.ok(files.length > 10, `found the test sources under ${srcRoot}`);
  const missing: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const names = new Set<string>();
    if (/import\s*\{[^}]*\btest\b[^}]*\}\s*from\s*'uvu'/.test(text)) names.add('test');
    for (const m of text.matchAll(/\b(?:const|let)\s+(\w+)\s*=\s*suite\(/g)) names.add(m[1]!);
    for (const n of names) {
      const runAt = text.lastIndexOf(`${n}.run()`);
      if (runAt < 0) missing.push(`${relative(srcRoot, f)}: ${n}.run() never called`);
      // uvu ignores a test registered after its suite's run(): nothing reports it
      else if (text.lastIndexOf(`\n${n}(`) > runAt) missing.push(`${relative(srcRoot, f)}: a ${n}(...) after ${n}.run() is never run`);
    }
  }
  assert.equal(missing, []);
});

test.run();
