/** The registry core is pure: it imports only src/protocol, its own folder and src/core's shared pure files (never, rng, heap, hash; DESIGN.md §2 import rules). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

test('src/core/registry imports only ../../protocol, ./ and the shared pure files of src/core', () => {
  const dir = join(root, 'src', 'core', 'registry');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 5, `found ${files.length} files`);
  for (const f of files) {
    for (const i of imports(join(dir, f))) {
      assert.ok(i.startsWith('./') || i.startsWith('../../protocol/') || /^\.\.\/[\w-]+\.js$/.test(i), `${f} imports ${i}`);
    }
  }
});

test('actors/registry.ts and the Eureka server never import a concrete runtime', () => {
  for (const f of [join(root, 'actors', 'registry.ts'), join(root, 'actors', 'eureka-http-peer.ts'), ...readdirSync(join(root, 'src', 'servers', 'eureka')).map((x) => join(root, 'src', 'servers', 'eureka', x))]) {
    for (const i of imports(f)) assert.not.ok(i.includes('/runtime/'), `${f} imports ${i}`);
  }
});

test.run();
