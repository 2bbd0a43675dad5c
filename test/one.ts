/** Runs one compiled uvu test file and reports its totals on a line the runner reads. */
import { pathToFileURL } from 'node:url';

(globalThis as { UVU_DEFER?: number }).UVU_DEFER = 1;
const uvu = (await import('uvu')) as unknown as { exec: (bail?: boolean) => Promise<void> };
const q = (globalThis as unknown as { UVU_QUEUE: unknown[][] }).UVU_QUEUE;
q.push([process.argv[2]]);
await import(pathToFileURL(process.argv[2]!).href);

// Count results by wrapping each queued suite runner.
let total = 0;
let passed = 0;
let skipped = 0;
for (const group of q) {
  for (let i = 1; i < group.length; i++) {
    const run = group[i] as () => Promise<[unknown, number, number, number]>;
    group[i] = async () => {
      const r = await run();
      passed += r[1];
      skipped += r[2];
      total += r[3];
      return r;
    };
  }
}
await uvu.exec();
process.stdout.write(`\n@@uvu total=${total} passed=${passed} skipped=${skipped}\n`);
// Tests must clean up after themselves; a leftover handle should not hang the run.
setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
