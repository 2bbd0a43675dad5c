/**
 * Messages of the registry actor: what front ends (the Eureka HTTP server) and peer registry actors send it,
 * and what it answers. Plain data, structured-clone safe.
 */
import type { AppView, AppsView, InstanceInfo, InstanceStatus, ReplicationItem, ReplicationResult } from './types.js';
import type { RegistryStats } from './machine.js';

/** What a registry read is about (the response-cache key without format). */
export type ReadKey =
  | { readonly kind: 'apps' }
  | { readonly kind: 'delta' }
  | { readonly kind: 'app'; readonly name: string }
  | { readonly kind: 'vip'; readonly name: string }
  | { readonly kind: 'svip'; readonly name: string }
  | { readonly kind: 'instance'; readonly app: string; readonly id: string }
  | { readonly kind: 'instanceById'; readonly id: string };

export type RegistryRequest =
  | { readonly type: 'EurekaRegister'; readonly info: InstanceInfo }
  | { readonly type: 'EurekaRenew'; readonly app: string; readonly id: string; readonly lastDirtyTimestamp?: number; readonly overriddenStatus?: InstanceStatus }
  | { readonly type: 'EurekaCancel'; readonly app: string; readonly id: string }
  | { readonly type: 'EurekaStatusUpdate'; readonly app: string; readonly id: string; readonly value: InstanceStatus; readonly lastDirtyTimestamp?: number }
  | { readonly type: 'EurekaDeleteStatusOverride'; readonly app: string; readonly id: string; readonly value?: InstanceStatus; readonly lastDirtyTimestamp?: number }
  | { readonly type: 'EurekaUpdateMetadata'; readonly app: string; readonly id: string; readonly metadata: Readonly<Record<string, string>> }
  /** A batch of replicated actions (from a peer registry actor or from `/peerreplication/batch`). */
  | { readonly type: 'EurekaReplicationBatch'; readonly items: readonly ReplicationItem[] }
  /**
   * A registry read. `haveMutation`: the caller's cached copy was built at this mutation count; the answer is
   * `NotModified` when nothing changed since (how the front end's read-write cache learns of invalidations).
   */
  | {
      readonly type: 'EurekaRead';
      readonly key: ReadKey;
      readonly haveMutation?: number;
      /** Encode (and gzip) the answer on the registry's thread, so that the front end only writes bytes. */
      readonly encode?: { readonly format: 'json' | 'xml'; readonly compact: boolean; readonly gzip: boolean };
    }
  | { readonly type: 'EurekaStats' }
  /** GET /serverinfo/statusoverrides: the status-override map. */
  | { readonly type: 'EurekaOverrides' }
  /** A peer starting up asks for a full copy. */
  | { readonly type: 'EurekaSyncRequest' };

export type RegistryReply =
  | { readonly type: 'EurekaReply'; readonly code: number; readonly instanceInfo?: InstanceInfo; readonly error?: string }
  | { readonly type: 'EurekaReplicationBatchResult'; readonly results: readonly ReplicationResult[] }
  | {
      readonly type: 'EurekaReadResult';
      /** 200, 403 (not open for traffic), 404 (unknown app/instance), 304 (NotModified). */
      readonly code: 200 | 403 | 404 | 304;
      readonly mutation: number;
      readonly apps?: AppsView;
      readonly app?: AppView;
      readonly instance?: InstanceInfo;
      /** With `encode`: the Eureka document (apps or app), and its gzip when asked. */
      readonly body?: string;
      readonly gz?: Uint8Array;
    }
  | { readonly type: 'EurekaOverridesResult'; readonly overrides: readonly (readonly [string, InstanceStatus])[] }
  | { readonly type: 'EurekaStatsResult'; readonly stats: RegistryStats; readonly node: string; readonly peers: readonly string[]; readonly replicationPending: number }
  /** An HTTP peer bridge could not reach its peer (the registry retries with back-off). */
  | {
      readonly type: 'EurekaPeerUnavailable';
      readonly reason: string;
      /** Eureka's failure classes: congestion (503, read timeout: 1 s back-off), transient (retry), permanent (drop). */
      readonly failure: 'congestion' | 'transient' | 'permanent';
    }
  | { readonly type: 'EurekaSyncSnapshot'; readonly instances: readonly InstanceInfo[]; readonly overrides: readonly (readonly [string, InstanceStatus])[] };
