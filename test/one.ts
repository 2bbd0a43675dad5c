/**
 * Runs one compiled uvu test file and reports its totals on a line the runner reads (`@@uvu total=...`).
 *
 * A file fails, whatever its tests said, when:
 * - it ran no test and skipped none (no suite's `run()` was reached, or every suite was empty; a test skipped on
 *   purpose, e.g. for a client that is not installed, says so with `test.skip` and a note);
 * - a suite's `run()` came after the run had begun (tests registered asynchronously, which uvu would skip);
 * - an error escaped a test (an unhandled rejection or an uncaught exception), during the tests or up to
 *   `lateErrorGraceMs` after the last one (a rejection 500 ms after the summary is still seen).
 * The process then exits, even if the file left handles open.
 */
import { pathToFileURL } from 'node:url';

/** How long after the last test an escaped error still fails the file (it ends earlier once nothing is pending). */
export const lateErrorGraceMs = 1500;
/** How often the grace period looks for pending work. */
const idlePollMs = 50;

const escaped: string[] = [];
function onEscaped(kind: string, e: unknown): void {
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  escaped.push(`${kind}: ${text}`);
  process.stderr.write(`\n@@uvu ${kind} outside a test: ${text}\n`);
  process.exitCode = 1;
}
process.on('unhandledRejection', (e) => onEscaped('unhandled rejection', e));
process.on('uncaughtException', (e) => onEscaped('uncaught exception', e));

(globalThis as { UVU_DEFER?: number }).UVU_DEFER = 1;
const uvu = (await import('uvu')) as unknown as { exec: (bail?: boolean) => Promise<void> };
const q = (globalThis as unknown as { UVU_QUEUE: unknown[][] }).UVU_QUEUE;
q.push([process.argv[2]]);
await import(pathToFileURL(process.argv[2]!).href);

// Count results by wrapping each queued suite runner; a runner queued later stays unwrapped (registered too late).
let total = 0;
let passed = 0;
let skipped = 0;
const wrapped = new WeakSet<object>();
for (const group of q) {
  for (let i = 1; i < group.length; i++) {
    const run = group[i] as () => Promise<[unknown, number, number, number]>;
    const w = async (): Promise<[unknown, number, number, number]> => {
      const r = await run();
      passed += r[1];
      skipped += r[2];
      total += r[3];
      return r;
    };
    wrapped.add(w);
    group[i] = w;
  }
}
await uvu.exec();

const graceEnd = Date.now() + lateErrorGraceMs;
await new Promise<void>((resolve) => {
  const poll = (): void => {
    // Only this poll's own timer left (it is listed while it runs): nothing else can still fail.
    const pending = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');
    const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    if (Date.now() >= graceEnd || (pending.length === 0 && timers <= 1)) resolve();
    else setTimeout(poll, idlePollMs);
  };
  setTimeout(poll, 0);
});

const late = q.reduce((n, group) => n + group.filter((x) => typeof x === 'function' && !wrapped.has(x)).length, 0);
let failedExtra = 0;
if (total === 0 && skipped === 0) {
  process.stderr.write('\n@@uvu this file ran no test (a suite without run(), or none registered)\n');
  failedExtra++;
}
if (late > 0) {
  process.stderr.write(`\n@@uvu ${late} suite(s) called run() after the run began: their tests never ran\n`);
  failedExtra++;
}
if (escaped.length > 0) failedExtra++;
if (failedExtra > 0) process.exitCode = 1;
process.stdout.write(`\n@@uvu total=${total + failedExtra} passed=${passed} skipped=${skipped}\n`);
process.exit(process.exitCode ?? 0);
