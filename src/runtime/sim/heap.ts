/** A binary min-heap of scheduled items ordered by (time, seq): the simulator's scheduler. */
export interface Scheduled {
  readonly time: number;
  readonly seq: number;
  readonly fn: () => void;
  readonly kind: 'deliver' | 'timer' | 'defer' | 'control';
  cancelled: boolean;
}

function less(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class Heap {
  private readonly a: Scheduled[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Scheduled | undefined {
    return this.a[0];
  }
  push(x: Scheduled): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Scheduled | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
