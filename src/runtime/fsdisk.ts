import { closeSync, existsSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Disk } from '../kernel/io.js';
import { logDir } from '../storage/storage.js';
import { corruptibleOffset } from '../storage/wal.js';

/**
 * The `corrupt` fault on a real disk: flip one bit in a record in the middle of the newest log segment (with two
 * records or more) under a node's data directory; `pick` chooses the record. False if no segment qualifies.
 */
export function corruptLogFile(nodeDir: string, pick: number): boolean {
  const dir = join(nodeDir, logDir);
  if (!existsSync(dir)) return false;
  for (const name of readdirSync(dir).sort().reverse()) {
    const path = join(dir, name);
    const bytes = readFileSync(path);
    const offset = corruptibleOffset(name, bytes, pick);
    if (offset === null) continue;
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, Uint8Array.of(bytes[offset]! ^ (1 << (pick & 7))), 0, 1, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return true;
  }
  return false;
}

/** Open append handles kept per disk; the least recently opened is closed beyond this. */
export const openFilesMax = 16;

/** The real disk of one node, rooted at its data directory. */
export class FsDisk implements Disk {
  private readonly fds = new Map<string, number>();
  /** Background syncs in flight per descriptor; a descriptor is closed only when none is (`closeWhenSynced`). */
  private readonly syncing = new Map<number, number>();
  private readonly closeWhenSynced = new Set<number>();

  constructor(readonly root: string) {
    makeDirs(root);
  }

  private abs(path: string): string {
    if (path.includes('..')) throw new Error(`bad path ${path}`);
    return join(this.root, path);
  }

  private fd(path: string): number {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      const p = this.abs(path);
      makeDirs(dirname(p));
      fd = openSync(p, 'a');
      this.fds.set(path, fd);
      if (this.fds.size > openFilesMax) {
        const [oldest, ofd] = this.fds.entries().next().value as [string, number];
        fsyncSync(ofd); // a later fsync(oldest) finds no descriptor: make its appends durable now
        this.release(ofd);
        this.fds.delete(oldest);
      }
    }
    return fd;
  }

  private closeFd(path: string): void {
    const fd = this.fds.get(path);
    if (fd !== undefined) {
      this.release(fd);
      this.fds.delete(path);
    }
  }

  /** Close a descriptor now, or when its background syncs are done (its number must not be reused before). */
  private release(fd: number): void {
    if ((this.syncing.get(fd) ?? 0) > 0) this.closeWhenSynced.add(fd);
    else closeSync(fd);
  }

  list(dir: string): string[] {
    try {
      return readdirSync(this.abs(dir), { withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }
  read(path: string): Uint8Array | null {
    try {
      return new Uint8Array(readFileSync(this.abs(path)));
    } catch {
      return null;
    }
  }
  append(path: string, data: Uint8Array): void {
    const fd = this.fd(path);
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
  }
  writeAtomic(path: string, data: Uint8Array): void {
    const p = this.abs(path);
    makeDirs(dirname(p));
    const tmp = `${p}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.closeFd(path);
    renameSync(tmp, p);
    fsyncPath(dirname(p));
  }
  /** Through the descriptor the appends and truncations used, or (none open) a fresh one: it reaches the file either way. */
  fsync(path: string): void {
    const fd = this.fds.get(path);
    if (fd !== undefined) fsyncSync(fd);
    else fsyncPath(this.abs(path));
  }
  fsyncDir(dir: string): void {
    fsyncPath(this.abs(dir));
  }
  /**
   * fdatasync on libuv's pool through the descriptors the appends used (a file without one was made durable when its
   * descriptor was evicted, or was never appended to); those descriptors stay open until their syncs finish.
   */
  fsyncInBackground(paths: readonly string[], done: (error: Error | null) => void): void {
    const fds = paths.map((p) => this.fds.get(p)).filter((fd): fd is number => fd !== undefined);
    let left = fds.length;
    let failed: Error | null = null;
    if (left === 0) return done(null);
    for (const fd of fds) {
      this.syncing.set(fd, (this.syncing.get(fd) ?? 0) + 1);
      fdatasync(fd, (e) => {
        const n = this.syncing.get(fd)! - 1;
        if (n > 0) this.syncing.set(fd, n);
        else {
          this.syncing.delete(fd);
          if (this.closeWhenSynced.delete(fd)) closeSync(fd);
        }
        failed ??= e;
        if (--left === 0) done(failed);
      });
    }
  }
  /** ftruncate through the file's append descriptor (kept open), so the `fsync(path)` that must follow reaches it. */
  truncate(path: string, size: number): void {
    if (!this.fds.has(path) && !existsSync(this.abs(path))) return;
    ftruncateSync(this.fd(path), size);
  }
  remove(path: string): void {
    this.closeFd(path);
    rmSync(this.abs(path), { force: true });
  }
  size(path: string): number {
    try {
      return statSync(this.abs(path)).size;
    } catch {
      return 0;
    }
  }
  close(): void {
    for (const fd of this.fds.values()) this.release(fd);
    this.fds.clear();
  }
}

/** Create a directory and any missing parents, and make each new entry durable (fsync of its parent). */
function makeDirs(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    fsyncPath(dirname(d));
    if (d === first || dirname(d) === d) return;
  }
}

/** fsync a file or directory by path (a fresh read-only descriptor); a missing one is no error. */
function fsyncPath(p: string): void {
  let fd: number;
  try {
    fd = openSync(p, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * One node's disk spread over two: paths under `dir/` go to `other` (e.g. the write-ahead log on its own device,
 * ZooKeeper's dataLogDir), everything else to `main`.
 */
export class SplitDisk implements Disk {
  constructor(
    private readonly main: Disk,
    private readonly dir: string,
    private readonly other: Disk,
  ) {}
  private pick(path: string): Disk {
    return path === this.dir || path.startsWith(`${this.dir}/`) ? this.other : this.main;
  }
  list(dir: string): string[] {
    return this.pick(dir).list(dir);
  }
  read(path: string): Uint8Array | null {
    return this.pick(path).read(path);
  }
  append(path: string, data: Uint8Array): void {
    this.pick(path).append(path, data);
  }
  writeAtomic(path: string, data: Uint8Array): void {
    this.pick(path).writeAtomic(path, data);
  }
  fsync(path: string): void {
    this.pick(path).fsync(path);
  }
  fsyncDir(dir: string): void {
    this.pick(dir).fsyncDir(dir);
  }
  fsyncInBackground(paths: readonly string[], done: (error: Error | null) => void): void {
    const groups = [this.main, this.other].map((d) => ({ d, ps: paths.filter((p) => this.pick(p) === d) })).filter((g) => g.ps.length > 0);
    let left = groups.length;
    let failed: Error | null = null;
    const one = (e: Error | null): void => {
      failed ??= e;
      if (--left === 0) done(failed);
    };
    if (left === 0) return done(null);
    for (const { d, ps } of groups) {
      if (d.fsyncInBackground !== undefined) d.fsyncInBackground(ps, one);
      else {
        for (const p of ps) d.fsync(p);
        one(null);
      }
    }
  }
  truncate(path: string, size: number): void {
    this.pick(path).truncate(path, size);
  }
  remove(path: string): void {
    this.pick(path).remove(path);
  }
  size(path: string): number {
    return this.pick(path).size(path);
  }
}
