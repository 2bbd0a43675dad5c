/**
 * A fault as a scenario file and the dashboard's buttons name it (the dashboard POSTs exactly this JSON to
 * `/lab/api/fault`; a scenario's `faults:` entries are these plus `atMs`). Targets name nodes by role as well as
 * by name; the lab resolves them against the cluster's current view into the drivers' `Fault`s
 * (src/protocol/faults.ts) when the fault is injected.
 */

/** A node by name (`n1`) or by role at injection time. */
export type Target = string | 'leader' | 'follower' | 'minority' | 'majority' | 'minority-with-leader' | 'all';

export type FaultSpec =
  | { readonly fault: 'kill' | 'restart' | 'pause' | 'resume' | 'corrupt'; readonly target: Target }
  /** Split the nodes: explicit groups, or a named shape (the leader alone, a minority, a ring of majorities). */
  | { readonly fault: 'partition'; readonly groups?: readonly (readonly Target[])[]; readonly shape?: 'leader-isolated' | 'minority' | 'majority' | 'ring' }
  /** One-way: messages from `from` to `to` are lost. */
  | { readonly fault: 'cut'; readonly from: Target; readonly to: Target }
  | { readonly fault: 'heal' }
  | { readonly fault: 'slow'; readonly target: Target; readonly delayMs: number }
  | { readonly fault: 'drop' | 'duplicate' | 'reorder'; readonly ratio: number }
  | { readonly fault: 'clock'; readonly target: Target; readonly offsetMs: number; readonly driftPpm?: number }
  | { readonly fault: 'diskStall'; readonly target: Target; readonly durationMs: number }
  | { readonly fault: 'diskSlow'; readonly target: Target; readonly delayMs: number };

/** A scenario's fault entry: the spec, when (ms after the workload starts), and for how long (then undone). */
export type ScheduledFault = FaultSpec & { readonly atMs: number; readonly forMs?: number };
