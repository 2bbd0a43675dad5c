/**
 * `writeReport(runDir)`: a self-contained `report.html` for a recorded run — the dashboard's own page and script
 * (src/lab/ui) with the run's items and verdict inlined, so it opens from disk with no server.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labUiDir } from '../servers/lab/server.js';
import type { Verdict } from './history.js';
import { loadRun } from './recorded.js';

/** JSON safe inside a <script> element. */
const inlineJson = (x: unknown): string => JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** Writes `<runDir>/report.html` (with `verdict` if given, else the run's own) and returns its path. */
export function writeReport(runDir: string, verdict?: Verdict): string {
  const run = loadRun(runDir);
  const meta = verdict !== undefined ? { ...run.meta, verdict } : run.meta;
  const html = readFileSync(join(labUiDir, 'index.html'), 'utf8');
  const css = readFileSync(join(labUiDir, 'lab.css'), 'utf8');
  const js = readFileSync(join(labUiDir, 'lab.js'), 'utf8');
  const data = `<script>window.LAB_DATA = ${inlineJson({ meta, items: run.items, notes: run.notes })};</script>`;
  const out = html
    .replace('<link rel="stylesheet" href="lab.css">', () => `<style>\n${css}\n</style>`)
    .replace('<script src="lab.js"></script>', () => `${data}\n<script>\n${js.replace(/<\/script/gi, '<\\/script')}\n</script>`);
  const file = join(runDir, 'report.html');
  writeFileSync(file, out);
  return file;
}
