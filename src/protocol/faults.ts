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
  | { readonly kind: 'drop'; readonly ratio: number };

/** The fault API every driver offers. */
export interface FaultApi {
  kill(node: string): Promise<void>;
  restart(node: string): Promise<void>;
  partition(groups: readonly (readonly string[])[]): Promise<void>;
  cut(from: string, to: string): Promise<void>;
  heal(): Promise<void>;
  slow(node: string, delayMs: number): Promise<void>;
  drop(ratio: number): Promise<void>;
}

/** The network view shared by all drivers: may a message go from node `a` to node `b` right now? */
export interface LinkFaults {
  readonly groups: readonly (readonly string[])[] | null;
  readonly cuts: readonly string[]; // "from>to"
  readonly slowMs: Readonly<Record<string, number>>;
  readonly dropRatio: number;
}

export const noLinkFaults: LinkFaults = { groups: null, cuts: [], slowMs: {}, dropRatio: 0 };

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
      return { ...f, dropRatio: Math.max(0, Math.min(1, fault.ratio)) };
    case 'kill':
    case 'restart':
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
