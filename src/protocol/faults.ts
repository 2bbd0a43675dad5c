/** Faults are data: the same values drive the simulator, the worker-thread driver and the tcp driver. */
export type Fault =
  | { readonly kind: 'kill'; readonly node: string }
  | { readonly kind: 'restart'; readonly node: string }
  /** Nodes in different groups cannot reach each other; nodes in no group are isolated. */
  | { readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] }
  /** One-way cut: messages from `from` to `to` are lost, the other direction still flows. */
  | { readonly kind: 'cut'; readonly from: string; readonly to: string }
  | { readonly kind: 'heal' }
  /** Every message into `node` is delayed by `delayMs` (0 clears it). */
  | { readonly kind: 'slow'; readonly node: string; readonly delayMs: number }
  /** Each message between different nodes is lost with this probability (0 clears it). */
  | { readonly kind: 'drop'; readonly ratio: number }
  /** Each message between different nodes is delivered twice with this probability (0 clears it). */
  | { readonly kind: 'duplicate'; readonly ratio: number }
  /** Each message between different nodes may overtake earlier ones on its link with this probability (0 clears it). */
  | { readonly kind: 'reorder'; readonly ratio: number }
  /** The node stops scheduling anything (SIGSTOP on tcp) until `resume`; messages to it wait. */
  | { readonly kind: 'pause'; readonly node: string }
  | { readonly kind: 'resume'; readonly node: string }
  /** The node's clock reads `offsetMs` ahead and runs `driftPpm` fast (negative: behind, slow); 0 and 0 clear it. */
  | { readonly kind: 'clock'; readonly node: string; readonly offsetMs: number; readonly driftPpm: number }
  /** The node's fsyncs complete no earlier than `durationMs` from now (a stalled disk). */
  | { readonly kind: 'diskStall'; readonly node: string; readonly durationMs: number }
  /** Each fsync of the node takes `delayMs` longer (0 clears it). */
  | { readonly kind: 'diskSlow'; readonly node: string; readonly delayMs: number }
  /** One bit flipped in a record in the middle of the node's newest log segment (recovery must refuse the log). */
  | { readonly kind: 'corrupt'; readonly node: string };

/** A driver that cannot carry out a fault of this kind rejects with this error. */
export class UnsupportedFaultError extends Error {
  constructor(runtime: string, fault: Fault) {
    super(`the ${runtime} runtime cannot inject '${fault.kind}' faults`);
    this.name = 'UnsupportedFaultError';
  }
}

/** The fault API every driver offers. */
export interface FaultApi {
  kill(node: string): Promise<void>;
  restart(node: string): Promise<void>;
  partition(groups: readonly (readonly string[])[]): Promise<void>;
  cut(from: string, to: string): Promise<void>;
  heal(): Promise<void>;
  slow(node: string, delayMs: number): Promise<void>;
  drop(ratio: number): Promise<void>;
  /** Any fault as data (the lab's entry point); UnsupportedFaultError for a kind the driver cannot do. */
  inject(fault: Fault): Promise<void>;
}

/** The network view shared by all drivers: may a message go from node `a` to node `b` right now? */
export interface LinkFaults {
  readonly groups: readonly (readonly string[])[] | null;
  readonly cuts: readonly string[]; // "from>to"
  readonly slowMs: Readonly<Record<string, number>>;
  readonly dropRatio: number;
  readonly duplicateRatio: number;
  readonly reorderRatio: number;
}

export const noLinkFaults: LinkFaults = { groups: null, cuts: [], slowMs: {}, dropRatio: 0, duplicateRatio: 0, reorderRatio: 0 };

const ratio = (r: number): number => Math.max(0, Math.min(1, r));

export function applyFault(f: LinkFaults, fault: Fault): LinkFaults {
  switch (fault.kind) {
    case 'partition':
      return { ...f, groups: fault.groups.map((g) => [...g]) };
    case 'cut':
      return { ...f, cuts: [...f.cuts, `${fault.from}>${fault.to}`] };
    case 'heal':
      return { ...f, groups: null, cuts: [] };
    case 'slow': {
      const slowMs = { ...f.slowMs };
      if (fault.delayMs > 0) slowMs[fault.node] = fault.delayMs;
      else delete slowMs[fault.node];
      return { ...f, slowMs };
    }
    case 'drop':
      return { ...f, dropRatio: ratio(fault.ratio) };
    case 'duplicate':
      return { ...f, duplicateRatio: ratio(fault.ratio) };
    case 'reorder':
      return { ...f, reorderRatio: ratio(fault.ratio) };
    case 'kill':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'clock':
    case 'diskStall':
    case 'diskSlow':
    case 'corrupt':
      return f;
  }
}

/** Is the link from node a to node b cut by a partition or a one-way cut? Same-node traffic always flows. */
export function linkCut(f: LinkFaults, a: string, b: string): boolean {
  if (a === b) return false;
  if (f.cuts.includes(`${a}>${b}`)) return true;
  if (f.groups === null) return false;
  const ga = f.groups.findIndex((g) => g.includes(a));
  const gb = f.groups.findIndex((g) => g.includes(b));
  return ga < 0 || gb < 0 || ga !== gb;
}
