/**
 * The IO an actor shell may use, injected by the driver: a real file system on threads and tcp, a simulated
 * disk (with lost unsynced writes and torn tails) in the simulator. Synchronous on purpose (the storage actor
 * owns its state, and group commit amortises each fsync over a batch), except the optional `fsyncInBackground`.
 */
export interface Disk {
  /** Names of the files in a directory (relative to the node's data root), sorted. */
  list(dir: string): string[];
  read(path: string): Uint8Array | null;
  /** Append bytes; not durable until `fsync`. */
  append(path: string, data: Uint8Array): void;
  /** Replace a file's contents (write to a temporary name, fsync, rename). Durable when it returns. */
  writeAtomic(path: string, data: Uint8Array): void;
  fsync(path: string): void;
  /**
   * Optional: fsync these files in the background (a real file system does it on libuv's pool; the simulated disk,
   * when asked to, after a simulated latency) and call `done` once everything appended to them before this call
   * is durable, or with the error. A file removed meanwhile counts as done. `done` is not called if the node
   * crashed first. The storage actor keeps appending meanwhile and acknowledges from `done` (a message to itself).
   */
  fsyncInBackground?(paths: readonly string[], done: (error: Error | null) => void): void;
  truncate(path: string, size: number): void;
  remove(path: string): void;
  size(path: string): number;
}

export interface NodeIo {
  readonly disk?: Disk;
}
