import type { EventPayload } from '../../protocol/events.js';

/**
 * Plain-data types of the Eureka registry machine: instances as the registry holds them, the configuration
 * (every duration with its unit), inputs and outputs. No classes, structured-clone safe.
 */

export type InstanceStatus = 'UP' | 'DOWN' | 'STARTING' | 'OUT_OF_SERVICE' | 'UNKNOWN';
export const instanceStatuses: readonly InstanceStatus[] = ['UP', 'DOWN', 'STARTING', 'OUT_OF_SERVICE', 'UNKNOWN'];
export type ActionType = 'ADDED' | 'MODIFIED' | 'DELETED';

export function parseStatus(s: unknown): InstanceStatus | null {
  if (typeof s !== 'string') return null;
  const u = s.toUpperCase();
  return (instanceStatuses as readonly string[]).includes(u) ? (u as InstanceStatus) : null;
}

export interface DataCenterInfo {
  /** Java class name (`@class`), e.g. com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo. */
  readonly className: string;
  readonly name: string;
  /** Amazon metadata (instance-id, availability-zone, ...), absent for MyOwn. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface LeaseInfo {
  readonly renewalIntervalInSecs: number;
  readonly durationInSecs: number;
  readonly registrationTimestamp: number;
  readonly lastRenewalTimestamp: number;
  readonly evictionTimestamp: number;
  readonly serviceUpTimestamp: number;
}

/** An InstanceInfo, field for field as Eureka 1.x serialises it (ports split into number + enabled flag). */
export interface InstanceInfo {
  readonly instanceId: string;
  readonly hostName: string;
  readonly app: string;
  readonly ipAddr: string;
  readonly sid?: string;
  readonly status: InstanceStatus;
  readonly overriddenStatus: InstanceStatus;
  readonly port: number;
  readonly portEnabled: boolean;
  readonly securePort: number;
  readonly securePortEnabled: boolean;
  readonly countryId: number;
  readonly dataCenterInfo: DataCenterInfo;
  readonly leaseInfo: LeaseInfo;
  readonly metadata: Readonly<Record<string, string>>;
  readonly appGroupName?: string;
  readonly homePageUrl?: string;
  readonly statusPageUrl?: string;
  readonly healthCheckUrl?: string;
  readonly secureHealthCheckUrl?: string;
  readonly vipAddress?: string;
  readonly secureVipAddress?: string;
  readonly isCoordinatingDiscoveryServer: boolean;
  readonly lastUpdatedTimestamp: number;
  readonly lastDirtyTimestamp: number;
  readonly actionType?: ActionType;
  readonly asgName?: string;
}

/** One application in a registry view. */
export interface AppView {
  readonly name: string;
  readonly instances: readonly InstanceInfo[];
}

/** The Applications document: full registry, delta, one VIP, ... */
export interface AppsView {
  readonly versionsDelta: string;
  readonly appsHashcode: string;
  readonly applications: readonly AppView[];
}

export interface RegistryConfig {
  /** Default lease duration when the instance does not carry one (Eureka: 90 s). */
  readonly leaseDurationMs: number;
  /** Renewal interval the server expects from clients (threshold maths; Eureka: 30 s). */
  readonly expectedClientRenewalIntervalMs: number;
  /** Eureka's Lease.renew() adds the duration once more, so leases expire after 2 x duration. On = as Eureka. */
  readonly leaseExpiryDoubledCompat: boolean;
  readonly evictionIntervalMs: number;
  /** Share of the registry that must survive one eviction run (Eureka: 0.85, so <= 15 % evicted per run). */
  readonly evictionKeepRatio: number;
  readonly selfPreservationEnabled: boolean;
  readonly renewalPercentThreshold: number;
  readonly renewalThresholdUpdateIntervalMs: number;
  /** Window of the renews-per-minute measured rate (Eureka: 60 s). Threshold maths scale with it. */
  readonly renewRateWindowMs: number;
  readonly responseCacheUpdateIntervalMs: number;
  readonly responseCacheAutoExpirationMs: number;
  readonly useReadOnlyResponseCache: boolean;
  readonly deltaRetentionMs: number;
  readonly deltaRetentionTimerIntervalMs: number;
  /** 403 on registry reads while the startup sync reached no peer, for at most this long. */
  readonly waitTimeWhenSyncEmptyMs: number;
  readonly registrySyncRetriesMax: number;
  readonly registrySyncRetryWaitMs: number;
  /** Expected clients when the startup sync brought none (Spring Cloud: 1; Netflix: 0). */
  readonly openForTrafficCountDefault: number;
  /** Renew with a newer/older lastDirtyTimestamp answers 404/409 (Eureka: true). */
  readonly syncWhenTimestampDiffers: boolean;
  /** Status-override entries are forgotten this long after their last access (Eureka: 1 h). */
  readonly statusOverrideTtlMs: number;
}

export const defaultRegistryConfig: RegistryConfig = {
  leaseDurationMs: 90_000,
  expectedClientRenewalIntervalMs: 30_000,
  leaseExpiryDoubledCompat: true,
  evictionIntervalMs: 60_000,
  evictionKeepRatio: 0.85,
  selfPreservationEnabled: true,
  renewalPercentThreshold: 0.85,
  renewalThresholdUpdateIntervalMs: 15 * 60_000,
  renewRateWindowMs: 60_000,
  responseCacheUpdateIntervalMs: 30_000,
  responseCacheAutoExpirationMs: 180_000,
  useReadOnlyResponseCache: true,
  deltaRetentionMs: 180_000,
  deltaRetentionTimerIntervalMs: 30_000,
  waitTimeWhenSyncEmptyMs: 5 * 60_000,
  registrySyncRetriesMax: 5,
  registrySyncRetryWaitMs: 30_000,
  openForTrafficCountDefault: 1,
  syncWhenTimestampDiffers: true,
  statusOverrideTtlMs: 60 * 60_000,
};

/** Replication actions, as named on the wire in `/peerreplication/batch`. */
export type ReplicationAction = 'Register' | 'Heartbeat' | 'Cancel' | 'StatusUpdate' | 'DeleteStatusOverride';

/** One replication item (the ReplicationInstance of Eureka's batch protocol). */
export interface ReplicationItem {
  readonly action: ReplicationAction;
  readonly appName: string;
  readonly id: string;
  readonly lastDirtyTimestamp?: number;
  readonly overriddenStatus?: InstanceStatus;
  readonly status?: InstanceStatus;
  readonly instanceInfo?: InstanceInfo;
}

export interface ReplicationResult {
  readonly statusCode: number;
  readonly instanceInfo?: InstanceInfo;
}

/** Inputs of the machine; each carries the time it happens at. */
export type RegistryInput =
  | { readonly type: 'Register'; readonly nowMs: number; readonly info: InstanceInfo; readonly replication: boolean }
  | {
      readonly type: 'Renew';
      readonly nowMs: number;
      readonly app: string;
      readonly id: string;
      readonly replication: boolean;
      readonly overriddenStatus?: InstanceStatus;
      readonly lastDirtyTimestamp?: number;
    }
  | { readonly type: 'Cancel'; readonly nowMs: number; readonly app: string; readonly id: string; readonly replication: boolean }
  | {
      readonly type: 'StatusUpdate';
      readonly nowMs: number;
      readonly app: string;
      readonly id: string;
      readonly value: InstanceStatus;
      readonly lastDirtyTimestamp?: number;
      readonly replication: boolean;
    }
  | {
      readonly type: 'DeleteStatusOverride';
      readonly nowMs: number;
      readonly app: string;
      readonly id: string;
      readonly value?: InstanceStatus;
      readonly lastDirtyTimestamp?: number;
      readonly replication: boolean;
    }
  | { readonly type: 'UpdateMetadata'; readonly nowMs: number; readonly app: string; readonly id: string; readonly metadata: Readonly<Record<string, string>> }
  /** The sender of a replicated Heartbeat got 409 with the peer's newer copy: adopt it. */
  | { readonly type: 'AdoptPeerCopy'; readonly nowMs: number; readonly info: InstanceInfo }
  /** Eviction timer; `seed` is a random draw for the victim shuffle. */
  | { readonly type: 'Evict'; readonly nowMs: number; readonly seed: number }
  | { readonly type: 'UpdateRenewalThreshold'; readonly nowMs: number }
  | { readonly type: 'PruneDelta'; readonly nowMs: number }
  /** Startup sync: a peer's full copy (registered as replication), then open for traffic. */
  | { readonly type: 'SyncFromPeer'; readonly nowMs: number; readonly instances: readonly InstanceInfo[]; readonly overrides: readonly (readonly [string, InstanceStatus])[] }
  /** Startup sync finished (`peerAnswered` = at least one peer gave its registry). */
  | { readonly type: 'OpenForTraffic'; readonly nowMs: number; readonly peerAnswered: boolean };

export type ReplyCode = 200 | 204 | 400 | 404 | 409 | 500;

export type RegistryOutput =
  /** The answer to the input (Register/Renew/Cancel/StatusUpdate/...). */
  | { readonly type: 'Reply'; readonly code: ReplyCode; readonly instanceInfo?: InstanceInfo; readonly error?: string }
  /** Send to every peer (only for non-replicated inputs; never for evictions). */
  | { readonly type: 'Replicate'; readonly item: ReplicationItem }
  /** Cached responses for these keys are stale. */
  | { readonly type: 'Invalidate'; readonly app: string; readonly vipAddress?: string; readonly secureVipAddress?: string }
  | { readonly type: 'Event'; readonly event: RegistryEvent };

export type RegistryEvent = EventPayload<
  | 'InstanceRegistered'
  | 'InstanceRenewed'
  | 'InstanceCancelled'
  | 'InstanceEvicted'
  | 'InstanceStatusChanged'
  | 'SelfPreservationEntered'
  | 'SelfPreservationLeft'
>;
