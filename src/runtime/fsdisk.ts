import { open, type FileHandle } from 'node:fs/promises';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Disk } from '../kernel/io.js';

/** Open append handles kept per disk; the least recently opened is closed beyond this. */
export const openFilesMax = 16;

/**
 * fsync each file through a descriptor of its own (fsync makes the file durable whichever descriptor asks, so this
 * is independent of the cache of open descriptors, which may close theirs meanwhile). A removed file is done.
 */
async function syncFiles(absPaths: readonly string[]): Promise<void> {
  await Promise.all(
    absPaths.map(async (p) => {
      let h: FileHandle;
      try {
        h = await open(p, 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      try {
        await h.sync();
      } finally {
        await h.close();
      }
    }),
  );
}

/** The real disk of one node, rooted at its data directory. */
export class FsDisk implements Disk {
  private readonly fds = new Map<string, number>();

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  private abs(path: string): string {
    if (path.includes('..')) throw new Error(`bad path ${path}`);
    return join(this.root, path);
  }

  private fd(path: string): number {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      const p = this.abs(path);
      mkdirSync(dirname(p), { recursive: true });
      fd = openSync(p, 'a');
      this.fds.set(path, fd);
      if (this.fds.size > openFilesMax) {
        const [oldest, ofd] = this.fds.entries().next().value as [string, number];
        fsyncSync(ofd); // a later fsync(oldest) finds no descriptor: make its appends durable now
        closeSync(ofd);
        this.fds.delete(oldest);
      }
    }
    return fd;
  }

  private closeFd(path: string): void {
    const fd = this.fds.get(path);
    if (fd !== undefined) {
      closeSync(fd);
      this.fds.delete(path);
    }
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
    mkdirSync(dirname(p), { recursive: true });
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
    const dfd = openSync(dirname(p), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }
  fsync(path: string): void {
    const fd = this.fds.get(path);
    if (fd !== undefined) fsyncSync(fd);
  }
  fsyncInBackground(paths: readonly string[], done: (error: Error | null) => void): void {
    syncFiles(paths.map((p) => this.abs(p))).then(
      () => done(null),
      (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
    );
  }
  truncate(path: string, size: number): void {
    this.closeFd(path);
    try {
      truncateSync(this.abs(path), size);
    } catch {
      // nothing to truncate
    }
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
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
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
