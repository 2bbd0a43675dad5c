import type { Disk } from '../../kernel/io.js';
import type { Rng } from '../../kernel/rng.js';

interface SimFile {
  synced: Uint8Array;
  /** Appended since the last fsync: lost (or torn) on a crash. */
  pending: Uint8Array[];
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

/**
 * A simulated disk for one node: what was fsynced survives a crash; what was appended after the last fsync is
 * lost, or torn (a random prefix of it survives) when the fault options ask for torn writes.
 */
export class SimDisk implements Disk {
  private files = new Map<string, SimFile>();
  fsyncs = 0;
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
        // what is durable when it completes: each file as long as it is now
        const targets = paths.map((p) => ({ p, f: this.files.get(p), bytes: this.size(p) }));
        background.schedule(background.latencyMs, () => {
          if (this.crashes !== crashes) return;
          for (const { p, f, bytes } of targets) {
            if (f === undefined || this.files.get(p) !== f || f.synced.length >= bytes) continue; // gone, replaced, or synced since
            const all = concat(f.synced, f.pending);
            f.synced = all.slice(0, bytes);
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
    return f === undefined ? null : concat(f.synced, f.pending);
  }
  append(path: string, data: Uint8Array): void {
    let f = this.files.get(path);
    if (f === undefined) {
      f = { synced: new Uint8Array(0), pending: [] };
      this.files.set(path, f);
    }
    f.pending.push(data.slice());
  }
  writeAtomic(path: string, data: Uint8Array): void {
    this.files.set(path, { synced: data.slice(), pending: [] });
    this.fsyncs++;
  }
  fsync(path: string): void {
    const f = this.files.get(path);
    if (f === undefined || f.pending.length === 0) return;
    f.synced = concat(f.synced, f.pending);
    f.pending = [];
    this.fsyncs++;
  }
  truncate(path: string, size: number): void {
    const f = this.files.get(path);
    if (f === undefined) return;
    const all = concat(f.synced, f.pending);
    // A truncate is metadata: treat it as durable at once (as after ftruncate + fsync).
    this.files.set(path, { synced: all.slice(0, Math.min(size, all.length)), pending: [] });
  }
  remove(path: string): void {
    this.files.delete(path);
  }
  size(path: string): number {
    const f = this.files.get(path);
    if (f === undefined) return 0;
    return f.synced.length + f.pending.reduce((a, p) => a + p.length, 0);
  }

  /** A crash: unsynced appends vanish; with `tornRatio` a random prefix of them may survive instead. */
  crash(rng: Rng, tornRatio: number): void {
    let lost = false;
    let torn = false;
    for (const f of this.files.values()) {
      if (f.pending.length === 0) continue;
      lost = true;
      if (rng.chance(tornRatio)) {
        torn = true;
        const tail = concat(new Uint8Array(0), f.pending);
        const keep = rng.int(0, tail.length - 1);
        f.synced = concat(f.synced, [tail.subarray(0, keep)]);
      }
      f.pending = [];
    }
    if (lost) this.crashesLosingWrites++;
    if (torn) this.crashesTearing++;
    this.crashes++;
  }
}
