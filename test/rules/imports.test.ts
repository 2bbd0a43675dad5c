/**
 * The layout's import rules (DESIGN.md §2), read from the TypeScript sources:
 * - src/core imports only src/protocol, src/core and pure libraries (no node: builtins: no IO, clock, threads);
 * - src/kernel imports only src/protocol, src/kernel, rxjs and the one PRNG (src/core/rng.ts, pure);
 * - actors/ import core, kernel, protocol (and the storage helpers), never a concrete runtime or a front end;
 * - src/runtime never imports actors/ by path (workers and node processes load actor kinds by URL), nor anything
 *   above it (src/cluster.ts, src/lab: the swarms that drive a whole cluster live in src/lab/swarm).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function sources(dir: string): string[] {
  const abs = join(root, dir);
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    const p = join(abs, n);
    if (statSync(p).isDirectory()) out.push(...sources(relative(root, p)));
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(relative(root, p));
  }
  return out;
}

/** Every import/export-from specifier and dynamic import of a string literal. */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** A relative specifier as a path from the repo root; a bare one as is. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return relative(root, resolve(root, dirname(file), spec));
}

function violations(dir: string, allowed: (t: string) => boolean): string[] {
  const bad: string[] = [];
  for (const f of sources(dir)) {
    for (const spec of importsOf(f)) {
      const t = target(f, spec);
      if (!allowed(t)) bad.push(`${f} imports ${spec}`);
    }
  }
  return bad;
}

const pureLibraries = new Set(['immer']);

test('the import scanner sees static, type-only, re-export and dynamic imports', () => {
  const specs = importsOf('src/runtime/sim/sim.ts');
  assert.ok(specs.includes('../../kernel/host.js'));
  assert.ok(specs.includes('node:crypto'));
  assert.ok(importsOf('bench/index.ts').includes('./runtime.js'), 'dynamic import');
  assert.ok(importsOf('src/kernel/index.ts').includes('./actor.js'), 'export * from');
});

test('src/core imports only src/protocol, src/core and pure libraries', () => {
  assert.equal(
    violations('src/core', (t) => t.startsWith('src/protocol/') || t.startsWith('src/core/') || pureLibraries.has(t)),
    [],
  );
});

test('src/kernel imports only src/protocol, itself, rxjs and the PRNG of src/core', () => {
  const rxjs = (t: string) => t === 'rxjs' || t.startsWith('rxjs/');
  assert.equal(violations('src/kernel', (t) => t.startsWith('src/protocol/') || t.startsWith('src/kernel/') || t === 'src/core/rng.js' || rxjs(t)), []);
});

test('actors never import a concrete runtime or a front end', () => {
  assert.equal(violations('actors', (t) => !t.startsWith('src/runtime/') && !t.startsWith('src/servers/') && !t.startsWith('node:worker_threads')), []);
});

test('src/runtime never imports actors by path', () => {
  assert.equal(violations('src/runtime', (t) => !t.startsWith('actors/') && t !== 'actors'), []);
});

test('src/runtime never imports what sits above it (cluster.ts, the lab)', () => {
  assert.equal(violations('src/runtime', (t) => !t.startsWith('src/lab/') && t !== 'src/cluster.js' && t !== 'src/node.js' && t !== 'src/start.js'), []);
});

test('a rule violation is reported (the check can fail)', () => {
  assert.equal(
    violations('src/runtime', (t) => !t.startsWith('src/kernel/')).length > 0,
    true,
    'runtime does import the kernel, so forbidding it must show violations',
  );
});

test.run();
