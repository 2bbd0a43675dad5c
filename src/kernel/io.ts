/**
 * The IO an actor shell may use, injected by the driver: a real file system on threads and tcp, a simulated
 * disk (losing unsynced appends, truncations and directory entries on a crash, sometimes tearing a tail) in the
 * simulator. Synchronous on purpose (the storage actor owns its state, and group commit amortises each fsync over
 * a batch), except the optional `fsyncInBackground`.
 */
export interface Disk {
  /** Names of the files in a directory (relative to the node's data root), sorted. */
  list(dir: string): string[];
  read(path: string): Uint8Array | null;
  /**
   * Append bytes (creating the file if needed); not durable until `fsync(path)`, and a file this creates survives a
   * crash only once `fsyncDir` of its directory follows.
   */
  append(path: string, data: Uint8Array): void;
  /**
   * Replace a file's contents (write to a temporary name, fsync, rename, fsync the directory). This file's new
   * contents are durable when it returns; nothing else is.
   */
  writeAtomic(path: string, data: Uint8Array): void;
  /** Make the file's contents (appends and truncations so far) durable; a missing file is no error. */
  fsync(path: string): void;
  /**
   * Make a directory's entries durable: files created in it since survive a crash (with their fsynced contents),
   * files removed from it stay removed. `''` is the node's data root.
   */
  fsyncDir(dir: string): void;
  /**
   * Optional: fsync these files in the background (a real file system does it on libuv's pool; the simulated disk,
   * when asked to, after a simulated latency) and call `done` once everything appended to them before this call
   * is durable, or with the error. A file removed meanwhile counts as done. `done` is not called if the node
   * crashed first. The storage actor keeps appending meanwhile and acknowledges from `done` (a message to itself).
   */
  fsyncInBackground?(paths: readonly string[], done: (error: Error | null) => void): void;
  /** Cut the file to `size` bytes; not durable until `fsync(path)` (a crash before it may bring the bytes back). */
  truncate(path: string, size: number): void;
  /** Remove a file; not durable until `fsyncDir` of its directory (a crash before it may bring the file back). */
  remove(path: string): void;
  size(path: string): number;
}

export interface NodeIo {
  readonly disk?: Disk;
}
