import { Observable, Subject, filter } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { ClusterEvent, EventPayload, EventType } from '../protocol/events.js';

/** Events kept for late subscribers and tests (a ring: the oldest go first). */
export const eventHistoryMax = 10_000;

/**
 * One stream of typed events for a whole cluster. Producers publish (node, time, payload); the bus stamps a
 * sequence number, so `seq` orders events as the bus saw them.
 */
export class EventBus {
  private readonly subject = new Subject<ClusterEvent>();
  private seq = 0;
  private history: ClusterEvent[] = [];
  readonly events$: Observable<ClusterEvent> = this.subject.asObservable();

  publish(node: string, time: number, ev: EventPayload): ClusterEvent {
    const stamped = Object.freeze({ ...ev, time, seq: ++this.seq, node }) as ClusterEvent;
    this.history.push(stamped);
    // trim in bulk (amortised O(1) per event; a splice per event costs O(eventHistoryMax))
    if (this.history.length >= 2 * eventHistoryMax) this.history = this.history.slice(-eventHistoryMax);
    this.subject.next(stamped);
    return stamped;
  }

  /** The most recent events (at most `eventHistoryMax`). */
  recent(): readonly ClusterEvent[] {
    return this.history.length > eventHistoryMax ? this.history.slice(-eventHistoryMax) : this.history;
  }

  get count(): number {
    return this.seq;
  }

  complete(): void {
    this.subject.complete();
  }
}

/** Keep only events of the given types, narrowed. */
export function ofType<K extends EventType>(...types: K[]): OperatorFunction<ClusterEvent, ClusterEvent<K>> {
  const set = new Set<string>(types);
  return filter((e: ClusterEvent) => set.has(e.type)) as unknown as OperatorFunction<ClusterEvent, ClusterEvent<K>>;
}
