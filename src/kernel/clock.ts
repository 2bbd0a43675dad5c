/** Time and deferral as the kernel sees them; the simulator supplies a virtual one, real drivers the real one. */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds; virtual in the simulator. */
  now(): number;
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  clearTimer(h: TimerHandle): void;
  /** Run `fn` soon, after the current turn (used to drain mailboxes in batches). */
  defer(fn: () => void): void;
}

export function realClock(): Clock {
  let next = 1;
  const timers = new Map<number, NodeJS.Timeout>();
  return {
    // Absolute milliseconds that agree across worker threads (each thread has its own timeOrigin).
    now: () => performance.timeOrigin + performance.now(),
    setTimer(delayMs, fn) {
      const id = next++;
      const t = setTimeout(() => {
        timers.delete(id);
        fn();
      }, Math.max(0, delayMs));
      timers.set(id, t);
      return { id };
    },
    clearTimer(h) {
      const t = timers.get(h.id);
      if (t !== undefined) {
        clearTimeout(t);
        timers.delete(h.id);
      }
    },
    defer: (fn) => setImmediate(fn),
  };
}
