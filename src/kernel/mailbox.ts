// The Subject alone (rxjs's entry point loads every operator, ~130 ms per worker thread; see DESIGN notes).
import { Subject } from 'rxjs/internal/Subject';
import type { Envelope } from '../protocol/envelope.js';

/** System messages go ahead of user messages. */
export type SystemMessage =
  | { readonly type: 'Stop'; readonly reason: string }
  | { readonly type: 'Restart'; readonly reason: string }
  | { readonly type: 'Ping'; readonly replyTo: Envelope | null };

export const systemQueueMax = 64;
export const mailboxCapacityDefault = 10_000;

/** A FIFO with a head index: O(1) push and shift without Array#shift's copying. */
class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }
}

/**
 * A bounded mailbox. `arrivals$` ticks when the mailbox goes from empty to non-empty, which is when its owner
 * schedules a drain; `overflow$` carries every envelope refused for lack of room.
 */
export class Mailbox {
  readonly arrivals$ = new Subject<void>();
  readonly overflow$ = new Subject<Envelope | SystemMessage>();
  private readonly system = new Queue<SystemMessage>();
  private readonly user = new Queue<Envelope>();

  constructor(readonly capacity: number = mailboxCapacityDefault) {}

  get size(): number {
    return this.system.length + this.user.length;
  }

  enqueue(env: Envelope): boolean {
    if (this.user.length >= this.capacity) {
      this.overflow$.next(env);
      return false;
    }
    const wasEmpty = this.size === 0;
    this.user.push(env);
    if (wasEmpty) this.arrivals$.next();
    return true;
  }

  enqueueSystem(m: SystemMessage): boolean {
    if (this.system.length >= systemQueueMax) {
      this.overflow$.next(m);
      return false;
    }
    const wasEmpty = this.size === 0;
    this.system.push(m);
    if (wasEmpty) this.arrivals$.next();
    return true;
  }

  /** The next message: system first. */
  next(): { system: SystemMessage } | { user: Envelope } | null {
    const s = this.system.shift();
    if (s !== undefined) return { system: s };
    const u = this.user.shift();
    if (u !== undefined) return { user: u };
    return null;
  }

  hasUser(): boolean {
    return this.user.length > 0;
  }

  hasSystem(): boolean {
    return this.system.length > 0;
  }

  /** Everything still queued, for dead letters when the actor stops. */
  drainUser(): Envelope[] {
    return this.user.drain();
  }

  close(): void {
    this.arrivals$.complete();
    this.overflow$.complete();
  }
}
