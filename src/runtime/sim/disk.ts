import type { Disk } from '../../kernel/io.js';
import type { Rng } from '../../core/rng.js';

/**
 * One file. What a crash keeps of it is `synced` (its contents at the last fsync), and only if its directory entry is
 * durable. What reads see is `data` followed by `pending` (appends since).
 */
interface SimFile {
  synced: Uint8Array;
  /** The contents up to the appends in `pending`: `synced` itself unless truncated since the last fsync. */
  data: Uint8Array;
  /** Appended since the last fsync: lost (or torn) on a crash. */
  pending: Uint8Array[];
  /** Truncated since the last fsync: a crash undoes the truncation (and the appends after it). */
  truncated: boolean;
}

function concat(a: Uint8Array, parts: Uint8Array[]): Uint8Array {
  let n = a.length;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  out.set(a, 0);
  let o = a.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/**
 * A simulated disk for one node, as harsh as POSIX allows: a crash keeps what was fsynced and nothing else. Appends
 * after a file's last fsync are lost, or torn (a random prefix survives) when the fault options ask for torn writes;
 * a truncation not followed by an fsync of the file is undone; a file created since its directory's last `fsyncDir`
 * vanishes, and one removed since then comes back with its fsynced contents. `writeAtomic` makes that one file's new
 * contents and its directory entry durable (and no other entry of the directory).
 */
export class SimDisk implements Disk {
  /** The namespace as the node sees it. */
  private files = new Map<string, SimFile>();
  /** The namespace a crash leaves: per directory, name → file (files removed since may still be here). */
  private durableDirs = new Map<string, Map<string, SimFile>>();
  /** File fsyncs (group commit: one per batch) and directory fsyncs (segment roll, snapshot, removals) so far. */
  fsyncs = 0;
  dirFsyncs = 0;
  /** Crashes so far: a background fsync that a crash overtook does nothing and calls nobody. */
  private crashes = 0;
  /** Background fsyncs offered only when the simulation gives a latency and a scheduler for them. */
  readonly fsyncInBackground?: (paths: readonly string[], done: (error: Error | null) => void) => void;

  /**
   * `background`: offer `fsyncInBackground`, completing `latencyMs` of simulated time later through `schedule`
   * (the simulation's deterministic scheduler).
   */
  constructor(background?: { readonly latencyMs: number; readonly schedule: (delayMs: number, fn: () => void) => void }) {
    if (background !== undefined) {
      this.fsyncInBackground = (paths, done) => {
        const crashes = this.crashes;
        // what is durable when it completes: each file as long as it is now (unless truncated or replaced since)
        const targets = paths.map((p) => ({ p, f: this.files.get(p), bytes: this.size(p) }));
        background.schedule(background.latencyMs, () => {
          if (this.crashes !== crashes) return;
          for (const { p, f, bytes } of targets) {
            if (f === undefined || this.files.get(p) !== f || f.truncated || f.synced.length >= bytes) continue;
            const all = concat(f.data, f.pending);
            f.synced = all.slice(0, bytes);
            f.data = f.synced;
            f.pending = all.length > bytes ? [all.slice(bytes)] : [];
          }
          this.fsyncs++;
          done(null);
        });
      };
    }
  }
  /** Crashes that found unsynced appends (lost or torn), and of those the torn ones: fault coverage. */
  crashesLosingWrites = 0;
  crashesTearing = 0;
  /** Crashes that undid a truncation or brought back or lost a directory entry: fault coverage. */
  crashesUndoingMetadata = 0;

  list(dir: string): string[] {
    const prefix = dir === '' || dir.endsWith('/') ? dir : `${dir}/`;
    const out: string[] = [];
    for (const k of this.files.keys()) {
      if (k.startsWith(prefix)) {
        const rest = k.slice(prefix.length);
        if (!rest.includes('/')) out.push(rest);
      }
    }
    return out.sort();
  }
  read(path: string): Uint8Array | null {
    const f = this.files.get(path);
    return f === undefined ? null : concat(f.data, f.pending);
  }
  append(path: string, data: Uint8Array): void {
    let f = this.files.get(path);
    if (f === undefined) {
      const empty = new Uint8Array(0);
      f = { synced: empty, data: empty, pending: [], truncated: false };
      this.files.set(path, f);
    }
    f.pending.push(data.slice());
  }
  writeAtomic(path: string, data: Uint8Array): void {
    const f: SimFile = { synced: data.slice(), data: new Uint8Array(0), pending: [], truncated: false };
    f.data = f.synced;
    this.files.set(path, f);
    this.durableDir(dirOf(path)).set(path, f);
    this.fsyncs++;
  }
  fsync(path: string): void {
    const f = this.files.get(path);
    if (f === undefined || (f.pending.length === 0 && !f.truncated)) return;
    f.synced = concat(f.data, f.pending);
    f.data = f.synced;
    f.pending = [];
    f.truncated = false;
    this.fsyncs++;
  }
  fsyncDir(dir: string): void {
    const entries = new Map<string, SimFile>();
    for (const name of this.list(dir)) {
      const path = dir === '' ? name : `${dir}/${name}`;
      entries.set(path, this.files.get(path)!);
    }
    this.durableDirs.set(dir, entries);
    this.dirFsyncs++;
  }
  truncate(path: string, size: number): void {
    const f = this.files.get(path);
    if (f === undefined || size >= this.size(path)) return;
    f.data = concat(f.data, f.pending).slice(0, size);
    f.pending = [];
    f.truncated = true;
  }
  remove(path: string): void {
    this.files.delete(path);
  }
  size(path: string): number {
    const f = this.files.get(path);
    if (f === undefined) return 0;
    return f.data.length + f.pending.reduce((a, p) => a + p.length, 0);
  }

  private durableDir(dir: string): Map<string, SimFile> {
    let d = this.durableDirs.get(dir);
    if (d === undefined) {
      d = new Map();
      this.durableDirs.set(dir, d);
    }
    return d;
  }

  /**
   * A crash: the namespace becomes the durable one, each file its fsynced contents; with `tornRatio` a random prefix
   * of a file's unsynced appends may survive instead (not after an unsynced truncation).
   */
  crash(rng: Rng, tornRatio: number): void {
    let lost = false;
    let torn = false;
    let metadata = false;
    const after = new Map<string, SimFile>();
    for (const entries of this.durableDirs.values()) for (const [path, f] of entries) after.set(path, f);
    for (const [path, f] of this.files) if (after.get(path) !== f) metadata = true;
    for (const [path, f] of after) {
      if (this.files.get(path) !== f) metadata = true;
      if (f.truncated) {
        metadata = true;
        f.data = f.synced;
        f.pending = [];
        f.truncated = false;
        continue;
      }
      if (f.pending.length === 0) continue;
      lost = true;
      if (rng.chance(tornRatio)) {
        torn = true;
        const tail = concat(new Uint8Array(0), f.pending);
        const keep = rng.int(0, tail.length - 1);
        f.synced = concat(f.synced, [tail.subarray(0, keep)]);
        f.data = f.synced;
      }
      f.pending = [];
    }
    this.files = after;
    if (lost) this.crashesLosingWrites++;
    if (torn) this.crashesTearing++;
    if (metadata) this.crashesUndoingMetadata++;
    this.crashes++;
  }
}
