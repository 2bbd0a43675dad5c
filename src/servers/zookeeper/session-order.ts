/**
 * ZooKeeper's per-session request order (its CommitProcessor): a session's read waits until that session's earlier
 * writes have been applied, and a write is not started before that session's earlier reads were answered. So a
 * client that pipelines `setData(v)` then `getData` reads `v`, never the value before it (and never a later write of
 * its own). Runs of the same kind stay pipelined: consecutive writes go to the leader together, consecutive reads
 * are served together.
 *
 * Requests form groups of one kind in arrival order; a group starts when the group before it has finished. What
 * waits here is bounded by the connection: it stops reading past `pendingRepliesMax` unanswered requests.
 */
export type OrderKind = 'read' | 'write';

interface Group {
  readonly kind: OrderKind;
  /** Members not finished yet. */
  pending: number;
  /** A later group exists (no more members join this one). */
  closed: boolean;
  readonly finished: Promise<void>;
  readonly resolve: () => void;
}

export interface OrderTicket {
  /** Settles when the request may start. */
  readonly ready: Promise<void>;
  /** Call once when the request is answered (or failed). */
  readonly done: () => void;
}

const started: Promise<void> = Promise.resolve();

export class SessionOrder {
  private tail: Group | null = null;
  /** When the group before the tail finished (the tail's members wait for it). */
  private tailReady: Promise<void> = started;

  /** Whether nothing is in flight. */
  get idle(): boolean {
    return this.tail === null || this.tail.pending === 0;
  }

  enter(kind: OrderKind): OrderTicket {
    let g = this.tail;
    if (g === null || g.kind !== kind) {
      const prev = g;
      let resolve!: () => void;
      const finished = new Promise<void>((r) => (resolve = r));
      g = { kind, pending: 0, closed: false, finished, resolve };
      this.tailReady = prev === null ? started : prev.finished;
      if (prev !== null) {
        prev.closed = true;
        if (prev.pending === 0) prev.resolve();
      }
      this.tail = g;
    }
    const group = g;
    group.pending++;
    let finished = false;
    return {
      ready: this.tailReady,
      done: () => {
        if (finished) return;
        finished = true;
        group.pending--;
        if (group.pending === 0 && group.closed) group.resolve();
      },
    };
  }
}
