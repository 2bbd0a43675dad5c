/**
 * The Eureka 1.x registry as a pure machine: `step(state, input) -> { state, out }`. No IO, no clock, no RNG:
 * time arrives in every input (`nowMs`), randomness as a draw (`Evict.seed`).
 *
 * State ownership: the registry of 10,000+ instances is not copied per step (that would make every renew
 * O(N)); `step` updates the state it is given and returns it. Treat the state passed in as consumed. Reads
 * (`fullView`, `deltaView`, ...) never change it. Per-renew work is O(1): a map lookup, a counter, a status-count
 * update. O(N) work happens only in eviction runs, threshold recounts and view building (cached by the shell).
 */
import { assertNever } from '../never.js';
import { Rng } from '../rng.js';
import type {
  AppView,
  AppsView,
  InstanceInfo,
  InstanceStatus,
  RegistryConfig,
  RegistryEvent,
  RegistryInput,
  RegistryOutput,
  ReplyCode,
} from './types.js';
import { defaultRegistryConfig } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One lease: the instance as stored plus Eureka's lease timestamps. */
export interface Lease {
  info: Mutable<InstanceInfo>;
  registrationMs: number;
  /** Eureka's `lastUpdateTimestamp`: with the compat flag, renew stores now + duration (the doubled expiry). */
  lastUpdateMs: number;
  evictionMs: number;
  serviceUpMs: number;
  durationMs: number;
}

interface DeltaItem {
  readonly lease: Lease;
  readonly atMs: number;
}

/** Items kept in the recently-changed (delta) queue at most; the oldest go first. */
export const recentlyChangedQueueMax = 200_000;
/** Status overrides kept at most; the least recently used go first. */
export const statusOverridesMax = 100_000;

export interface RegistryState {
  readonly config: RegistryConfig;
  /** APPNAME -> id -> lease. */
  readonly apps: Map<string, Map<string, Lease>>;
  size: number;
  /** id -> override status and last access (1 h TTL after last access, as Eureka's Guava cache). */
  readonly overrides: Map<string, { status: InstanceStatus; accessMs: number }>;
  readonly statusCounts: Map<InstanceStatus, number>;
  /** Recently changed queue as a deque: items from `deltaHead` on are live. */
  delta: DeltaItem[];
  deltaHead: number;
  expectedClients: number;
  threshold: number;
  rateWindowStartMs: number;
  rateCurrent: number;
  rateLast: number;
  lastEvictionMs: number | null;
  preserving: boolean;
  opened: boolean;
  openedMs: number;
  peerAnswered: boolean;
  /** Incremented on every change that invalidates cached responses (not on renewals). */
  mutations: number;
}

export interface StepResult {
  readonly state: RegistryState;
  readonly out: readonly RegistryOutput[];
}

export function initRegistry(config: Partial<RegistryConfig> = {}, nowMs = 0): RegistryState {
  return {
    config: { ...defaultRegistryConfig, ...config },
    apps: new Map(),
    size: 0,
    overrides: new Map(),
    statusCounts: new Map(),
    delta: [],
    deltaHead: 0,
    expectedClients: 0,
    threshold: 0,
    rateWindowStartMs: nowMs,
    rateCurrent: 0,
    rateLast: 0,
    lastEvictionMs: null,
    preserving: false,
    opened: false,
    openedMs: 0,
    peerAnswered: false,
    mutations: 0,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// step

export function step(s: RegistryState, input: RegistryInput): StepResult {
  // Eureka's timestamps are Java longs: a clock with sub-millisecond fractions is cut to whole milliseconds here,
  // so every lease and instance timestamp stored (and served) is an integer.
  if (!Number.isInteger(input.nowMs)) input = { ...input, nowMs: Math.floor(input.nowMs) };
  const out: RegistryOutput[] = [];
  rollRate(s, input.nowMs);
  switch (input.type) {
    case 'Register': {
      const lease = register(s, input.info, input.replication, input.nowMs, out);
      out.push({ type: 'Reply', code: 204 });
      if (!input.replication) out.push({ type: 'Replicate', item: { action: 'Register', appName: lease.info.app, id: lease.info.instanceId, instanceInfo: viewOf(lease) } });
      break;
    }
    case 'Renew':
      renewInput(s, input, out);
      break;
    case 'Cancel': {
      const ok = internalCancel(s, input.app.toUpperCase(), input.id, input.nowMs, out, input.replication, false);
      if (ok) {
        if (!input.replication) out.push({ type: 'Replicate', item: { action: 'Cancel', appName: input.app.toUpperCase(), id: input.id } });
        if (s.expectedClients > 0) s.expectedClients--;
        updateThreshold(s);
      }
      out.push({ type: 'Reply', code: ok ? 200 : 404 });
      break;
    }
    case 'StatusUpdate':
      statusUpdate(s, input, out);
      break;
    case 'DeleteStatusOverride':
      deleteStatusOverride(s, input, out);
      break;
    case 'UpdateMetadata': {
      const lease = s.apps.get(input.app.toUpperCase())?.get(input.id);
      if (lease === undefined) {
        out.push({ type: 'Reply', code: 404 });
        break;
      }
      const info: InstanceInfo = { ...lease.info, metadata: { ...lease.info.metadata, ...input.metadata } };
      const l = register(s, info, false, input.nowMs, out);
      out.push({ type: 'Replicate', item: { action: 'Register', appName: l.info.app, id: l.info.instanceId, instanceInfo: viewOf(l) } });
      out.push({ type: 'Reply', code: 200 });
      break;
    }
    case 'AdoptPeerCopy': {
      register(s, input.info, true, input.nowMs, out);
      if (input.info.overriddenStatus !== 'UNKNOWN') storeOverrideIfRequired(s, input.info.app, input.info.instanceId, input.info.overriddenStatus, input.nowMs);
      break;
    }
    case 'Evict':
      evict(s, input.nowMs, input.seed, out);
      break;
    case 'UpdateRenewalThreshold': {
      const count = s.size;
      if (!s.config.selfPreservationEnabled || count > s.expectedClients * s.config.renewalPercentThreshold) {
        s.expectedClients = count;
        updateThreshold(s);
      }
      break;
    }
    case 'PruneDelta':
      pruneDelta(s, input.nowMs);
      pruneOverrides(s, input.nowMs);
      break;
    case 'SyncFromPeer': {
      for (const [id, st] of input.overrides) if (!s.overrides.has(id)) s.overrides.set(id, { status: st, accessMs: input.nowMs });
      for (const info of input.instances) register(s, info, true, input.nowMs, out);
      break;
    }
    case 'OpenForTraffic': {
      s.opened = true;
      s.openedMs = input.nowMs;
      s.peerAnswered = input.peerAnswered;
      s.expectedClients = s.size > 0 ? s.size : s.config.openForTrafficCountDefault;
      updateThreshold(s);
      s.lastEvictionMs = null;
      break;
    }
    default:
      assertNever(input);
  }
  return { state: s, out };
}

// ---------------------------------------------------------------------------------------------------------------
// reads (pure: they never change the state)

/** Eureka's `shouldAllowAccess`: registry reads answer 403 while this is false. */
export function accessAllowed(s: RegistryState, nowMs: number): boolean {
  if (!s.opened) return false;
  return s.peerAnswered || nowMs >= s.openedMs + s.config.waitTimeWhenSyncEmptyMs;
}

/** The `apps__hashcode` string: `STATUS_count_` per status with a non-zero count, sorted by status name. */
export function hashcode(s: RegistryState): string {
  return hashcodeOfCounts(s.statusCounts);
}

export function hashcodeOfCounts(counts: ReadonlyMap<string, number>): string {
  const keys = [...counts.keys()].filter((k) => (counts.get(k) ?? 0) > 0).sort();
  let out = '';
  for (const k of keys) out += `${k}_${counts.get(k)}_`;
  return out;
}

/** Hashcode of any list of instances (the client-side reconcile hash). */
export function hashcodeOf(instances: Iterable<InstanceInfo>): string {
  const counts = new Map<string, number>();
  for (const i of instances) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
  return hashcodeOfCounts(counts);
}

/** The instance as served: stored info decorated with the lease timestamps. */
export function viewOf(l: Lease): InstanceInfo {
  return {
    ...l.info,
    leaseInfo: {
      renewalIntervalInSecs: l.info.leaseInfo.renewalIntervalInSecs,
      durationInSecs: Math.round(l.durationMs / 1000),
      registrationTimestamp: l.registrationMs,
      lastRenewalTimestamp: l.lastUpdateMs,
      evictionTimestamp: l.evictionMs,
      serviceUpTimestamp: l.serviceUpMs,
    },
  };
}

/** The full registry (GET /apps), `versions__delta` "1" as Eureka's full fetch. */
export function fullView(s: RegistryState): AppsView {
  const applications: AppView[] = [];
  for (const [name, m] of s.apps) {
    if (m.size === 0) continue;
    const instances: InstanceInfo[] = [];
    for (const l of m.values()) instances.push(viewOf(l));
    applications.push({ name, instances });
  }
  return { versionsDelta: '1', appsHashcode: hashcode(s), applications };
}

/** GET /apps/{app}: null when unknown. */
export function appView(s: RegistryState, app: string): AppView | null {
  const m = s.apps.get(app.toUpperCase());
  if (m === undefined || m.size === 0) return null;
  return { name: app.toUpperCase(), instances: [...m.values()].map(viewOf) };
}

/** GET /vips/{vip} or /svips/{svip}: instances whose comma-split (secure) VIP list contains the name. */
export function vipView(s: RegistryState, vip: string, secure: boolean): AppsView {
  const applications: AppView[] = [];
  for (const [name, m] of s.apps) {
    const instances: InstanceInfo[] = [];
    for (const l of m.values()) {
      const v = secure ? l.info.secureVipAddress : l.info.vipAddress;
      if (v !== undefined && v.split(',').some((x) => x.trim() === vip)) instances.push(viewOf(l));
    }
    if (instances.length > 0) applications.push({ name, instances });
  }
  return { versionsDelta: '1', appsHashcode: hashcode(s), applications };
}

/** The delta (GET /apps/delta) without its version: one entry per id, the last queued item wins. */
export function deltaView(s: RegistryState, versionsDelta: string): AppsView {
  const byApp = new Map<string, Map<string, InstanceInfo>>();
  for (let i = s.deltaHead; i < s.delta.length; i++) {
    const l = s.delta[i]!.lease;
    let m = byApp.get(l.info.app);
    if (m === undefined) byApp.set(l.info.app, (m = new Map()));
    m.delete(l.info.instanceId);
    m.set(l.info.instanceId, viewOf(l));
  }
  const applications: AppView[] = [...byApp].map(([name, m]) => ({ name, instances: [...m.values()] }));
  return { versionsDelta, appsHashcode: hashcode(s), applications };
}

/** GET /apps/{app}/{id}: not cached, and hides leases that are expired but not yet evicted. */
export function instanceView(s: RegistryState, app: string, id: string, nowMs: number): InstanceInfo | null {
  const l = s.apps.get(app.toUpperCase())?.get(id);
  if (l === undefined || isExpired(s, l, nowMs, 0)) return null;
  return viewOf(l);
}

/** GET /instances/{id}: first match across applications. */
export function instanceById(s: RegistryState, id: string, nowMs: number): InstanceInfo | null {
  for (const m of s.apps.values()) {
    const l = m.get(id);
    if (l !== undefined && !isExpired(s, l, nowMs, 0)) return viewOf(l);
  }
  return null;
}

/** Every instance as stored (startup sync of a peer). */
export function allInstances(s: RegistryState): InstanceInfo[] {
  const out: InstanceInfo[] = [];
  for (const m of s.apps.values()) for (const l of m.values()) out.push(viewOf(l));
  return out;
}

export function overrideEntries(s: RegistryState): [string, InstanceStatus][] {
  return [...s.overrides].map(([id, o]) => [id, o.status]);
}

export function leaseOf(s: RegistryState, app: string, id: string): Lease | undefined {
  return s.apps.get(app.toUpperCase())?.get(id);
}

export interface RegistryStats {
  readonly instances: number;
  readonly expectedClients: number;
  readonly renewsThreshold: number;
  readonly renewsLastWindow: number;
  readonly leaseExpirationEnabled: boolean;
  readonly selfPreservation: boolean;
  readonly deltaQueueSize: number;
  readonly mutations: number;
}

export function stats(s: RegistryState): RegistryStats {
  return {
    instances: s.size,
    expectedClients: s.expectedClients,
    renewsThreshold: s.threshold,
    renewsLastWindow: s.rateLast,
    leaseExpirationEnabled: leaseExpirationEnabled(s),
    selfPreservation: s.preserving,
    deltaQueueSize: s.delta.length - s.deltaHead,
    mutations: s.mutations,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// internals

/** Eureka's Lease.isExpired(additionalLeaseMs). */
export function isExpired(_s: RegistryState, l: Lease, nowMs: number, extraMs: number): boolean {
  return l.evictionMs > 0 || nowMs > l.lastUpdateMs + l.durationMs + extraMs;
}

function renewLease(s: RegistryState, l: Lease, nowMs: number): void {
  l.lastUpdateMs = s.config.leaseExpiryDoubledCompat ? nowMs + l.durationMs : nowMs;
}

function leaseExpirationEnabled(s: RegistryState): boolean {
  if (!s.config.selfPreservationEnabled) return true;
  return s.threshold > 0 && s.rateLast > s.threshold;
}

function updateThreshold(s: RegistryState): void {
  const perWindow = s.config.renewRateWindowMs / s.config.expectedClientRenewalIntervalMs;
  s.threshold = Math.floor(s.expectedClients * perWindow * s.config.renewalPercentThreshold);
}

/** Eureka's MeasuredRate: the count of the last complete window. */
function rollRate(s: RegistryState, nowMs: number): void {
  const w = s.config.renewRateWindowMs;
  if (nowMs < s.rateWindowStartMs + w) return;
  const periods = Math.floor((nowMs - s.rateWindowStartMs) / w);
  s.rateLast = periods === 1 ? s.rateCurrent : 0;
  s.rateCurrent = 0;
  s.rateWindowStartMs += periods * w;
}

function countStatus(s: RegistryState, st: InstanceStatus, d: number): void {
  const n = (s.statusCounts.get(st) ?? 0) + d;
  if (n <= 0) s.statusCounts.delete(st);
  else s.statusCounts.set(st, n);
}

function setStatus(s: RegistryState, l: Lease, st: InstanceStatus): void {
  if (l.info.status === st) return;
  countStatus(s, l.info.status, -1);
  countStatus(s, st, 1);
  l.info.status = st;
}

function pushDelta(s: RegistryState, l: Lease, nowMs: number): void {
  s.delta.push({ lease: l, atMs: nowMs });
  if (s.delta.length - s.deltaHead > recentlyChangedQueueMax) s.deltaHead++;
  compactDelta(s);
}

function compactDelta(s: RegistryState): void {
  if (s.deltaHead > 1024 && s.deltaHead * 2 > s.delta.length) {
    s.delta = s.delta.slice(s.deltaHead);
    s.deltaHead = 0;
  }
}

function pruneDelta(s: RegistryState, nowMs: number): void {
  const cutoff = nowMs - s.config.deltaRetentionMs;
  while (s.deltaHead < s.delta.length && s.delta[s.deltaHead]!.atMs < cutoff) s.deltaHead++;
  compactDelta(s);
}

function getOverride(s: RegistryState, id: string, nowMs: number): InstanceStatus | undefined {
  const o = s.overrides.get(id);
  if (o === undefined) return undefined;
  if (nowMs - o.accessMs > s.config.statusOverrideTtlMs) {
    s.overrides.delete(id);
    return undefined;
  }
  o.accessMs = nowMs;
  return o.status;
}

function putOverride(s: RegistryState, id: string, st: InstanceStatus, nowMs: number): void {
  s.overrides.delete(id);
  s.overrides.set(id, { status: st, accessMs: nowMs });
  if (s.overrides.size > statusOverridesMax) {
    const oldest = s.overrides.keys().next().value;
    if (oldest !== undefined) s.overrides.delete(oldest);
  }
}

function pruneOverrides(s: RegistryState, nowMs: number): void {
  for (const [id, o] of s.overrides) if (nowMs - o.accessMs > s.config.statusOverrideTtlMs) s.overrides.delete(id);
}

function storeOverrideIfRequired(s: RegistryState, app: string, id: string, st: InstanceStatus, nowMs: number): void {
  const cur = getOverride(s, id, nowMs);
  if (cur === st) return;
  putOverride(s, id, st, nowMs);
  const l = s.apps.get(app.toUpperCase())?.get(id);
  if (l !== undefined) l.info.overriddenStatus = st;
}

/**
 * The status rule chain (core/registry/rule/*): DownOrStarting, OverrideExists, (AsgEnabled: no-op here),
 * LeaseExists (non-replication only), AlwaysMatch.
 */
export function effectiveStatus(
  reported: InstanceStatus,
  override: InstanceStatus | undefined,
  existingLeaseStatus: InstanceStatus | null,
  replication: boolean,
): InstanceStatus {
  if (reported !== 'UP' && reported !== 'OUT_OF_SERVICE') return reported;
  if (override !== undefined) return override;
  if (!replication && existingLeaseStatus !== null && (existingLeaseStatus === 'UP' || existingLeaseStatus === 'OUT_OF_SERVICE')) {
    return existingLeaseStatus;
  }
  return reported;
}

function invalidate(s: RegistryState, info: InstanceInfo, out: RegistryOutput[]): void {
  s.mutations++;
  out.push({
    type: 'Invalidate',
    app: info.app,
    ...(info.vipAddress !== undefined ? { vipAddress: info.vipAddress } : {}),
    ...(info.secureVipAddress !== undefined ? { secureVipAddress: info.secureVipAddress } : {}),
  });
}

function emit(out: RegistryOutput[], event: RegistryEvent): void {
  out.push({ type: 'Event', event });
}

function register(s: RegistryState, incoming: InstanceInfo, replication: boolean, nowMs: number, out: RegistryOutput[]): Lease {
  const appName = incoming.app.toUpperCase();
  let m = s.apps.get(appName);
  if (m === undefined) s.apps.set(appName, (m = new Map()));
  const id = incoming.instanceId;
  const existing = m.get(id);
  let registrant: Mutable<InstanceInfo> = { ...incoming, app: appName };
  if (existing !== undefined) {
    // ties take the incoming copy; a newer stored copy wins
    if (existing.info.lastDirtyTimestamp > incoming.lastDirtyTimestamp) registrant = { ...existing.info };
    countStatus(s, existing.info.status, -1);
    s.size--;
  } else {
    s.expectedClients++;
    updateThreshold(s);
  }
  const durSecs = incoming.leaseInfo.durationInSecs;
  const lease: Lease = {
    info: registrant,
    registrationMs: nowMs,
    lastUpdateMs: nowMs,
    evictionMs: 0,
    serviceUpMs: existing !== undefined ? existing.serviceUpMs : 0,
    durationMs: durSecs > 0 ? durSecs * 1000 : s.config.leaseDurationMs,
  };
  m.set(id, lease);
  s.size++;
  countStatus(s, registrant.status, 1);
  if (registrant.overriddenStatus !== 'UNKNOWN' && getOverride(s, id, nowMs) === undefined) putOverride(s, id, registrant.overriddenStatus, nowMs);
  const ov = getOverride(s, id, nowMs);
  if (ov !== undefined) registrant.overriddenStatus = ov;
  setStatus(s, lease, effectiveStatus(registrant.status, ov, existing !== undefined ? existing.info.status : null, replication));
  if (lease.info.status === 'UP' && lease.serviceUpMs === 0) lease.serviceUpMs = nowMs;
  registrant.actionType = 'ADDED';
  registrant.lastUpdatedTimestamp = nowMs;
  pushDelta(s, lease, nowMs);
  invalidate(s, registrant, out);
  emit(out, { type: 'InstanceRegistered', app: appName, id, status: lease.info.status, replication });
  return lease;
}

function renewInput(s: RegistryState, input: Extract<RegistryInput, { type: 'Renew' }>, out: RegistryOutput[]): void {
  const app = input.app.toUpperCase();
  const l = s.apps.get(app)?.get(input.id);
  let code: ReplyCode = 200;
  let entity: InstanceInfo | undefined;
  if (l === undefined) {
    code = 404;
  } else {
    // Note: a replicated heartbeat's overriddenStatus is stored only on 404 (below), as Eureka does. Adopting it
    // here as well is unsafe: a heartbeat sent before a DeleteStatusOverride can arrive after it and resurrect
    // the override on one peer for good (there is no ordering between the two).
    const ov = getOverride(s, input.id, input.nowMs);
    const st = effectiveStatus(l.info.status, ov, l.info.status, input.replication);
    if (st === 'UNKNOWN') {
      code = 404;
    } else {
      if (l.info.status !== st) {
        setStatus(s, l, st);
        l.info.actionType = 'MODIFIED';
        l.info.lastUpdatedTimestamp = input.nowMs;
        pushDelta(s, l, input.nowMs);
        invalidate(s, l.info, out);
      }
      s.rateCurrent++;
      renewLease(s, l, input.nowMs);
      emit(out, { type: 'InstanceRenewed', app, id: input.id, replication: input.replication });
      if (!input.replication) {
        out.push({
          type: 'Replicate',
          item: {
            action: 'Heartbeat',
            appName: app,
            id: input.id,
            status: l.info.status,
            lastDirtyTimestamp: l.info.lastDirtyTimestamp,
            ...(ov !== undefined ? { overriddenStatus: ov } : {}),
          },
        });
      }
      if (input.lastDirtyTimestamp !== undefined && s.config.syncWhenTimestampDiffers && input.lastDirtyTimestamp !== l.info.lastDirtyTimestamp) {
        if (input.lastDirtyTimestamp > l.info.lastDirtyTimestamp) code = 404;
        else if (input.replication) {
          code = 409;
          entity = viewOf(l);
        }
      }
    }
  }
  if (code === 404 && input.replication && input.overriddenStatus !== undefined && input.overriddenStatus !== 'UNKNOWN') {
    storeOverrideIfRequired(s, app, input.id, input.overriddenStatus, input.nowMs);
  }
  out.push({ type: 'Reply', code, ...(entity !== undefined ? { instanceInfo: entity } : {}) });
}

function statusUpdate(s: RegistryState, input: Extract<RegistryInput, { type: 'StatusUpdate' }>, out: RegistryOutput[]): void {
  const app = input.app.toUpperCase();
  const l = s.apps.get(app)?.get(input.id);
  if (l === undefined) {
    out.push({ type: 'Reply', code: 404 });
    return;
  }
  renewLease(s, l, input.nowMs);
  if (l.info.status !== input.value) {
    if (input.value === 'UP' && l.serviceUpMs === 0) l.serviceUpMs = input.nowMs;
    putOverride(s, input.id, input.value, input.nowMs);
    l.info.overriddenStatus = input.value;
    setStatus(s, l, input.value);
    if (input.lastDirtyTimestamp !== undefined && input.lastDirtyTimestamp > l.info.lastDirtyTimestamp) l.info.lastDirtyTimestamp = input.lastDirtyTimestamp;
    l.info.actionType = 'MODIFIED';
    l.info.lastUpdatedTimestamp = input.nowMs;
    pushDelta(s, l, input.nowMs);
    invalidate(s, l.info, out);
    emit(out, { type: 'InstanceStatusChanged', app, id: input.id, status: l.info.status, overriddenStatus: l.info.overriddenStatus, replication: input.replication });
  }
  if (!input.replication) {
    out.push({ type: 'Replicate', item: { action: 'StatusUpdate', appName: app, id: input.id, status: input.value, lastDirtyTimestamp: l.info.lastDirtyTimestamp } });
  }
  out.push({ type: 'Reply', code: 200 });
}

function deleteStatusOverride(s: RegistryState, input: Extract<RegistryInput, { type: 'DeleteStatusOverride' }>, out: RegistryOutput[]): void {
  const app = input.app.toUpperCase();
  const l = s.apps.get(app)?.get(input.id);
  if (l === undefined) {
    out.push({ type: 'Reply', code: 404 });
    return;
  }
  renewLease(s, l, input.nowMs);
  const had = s.overrides.delete(input.id);
  if (had) {
    l.info.overriddenStatus = 'UNKNOWN';
    setStatus(s, l, input.value ?? 'UNKNOWN');
    if (input.lastDirtyTimestamp !== undefined && input.lastDirtyTimestamp > l.info.lastDirtyTimestamp) l.info.lastDirtyTimestamp = input.lastDirtyTimestamp;
    l.info.actionType = 'MODIFIED';
    l.info.lastUpdatedTimestamp = input.nowMs;
    pushDelta(s, l, input.nowMs);
    invalidate(s, l.info, out);
    emit(out, { type: 'InstanceStatusChanged', app, id: input.id, status: l.info.status, overriddenStatus: 'UNKNOWN', replication: input.replication });
  }
  if (!input.replication) {
    out.push({ type: 'Replicate', item: { action: 'DeleteStatusOverride', appName: app, id: input.id, status: l.info.status, lastDirtyTimestamp: l.info.lastDirtyTimestamp } });
  }
  out.push({ type: 'Reply', code: 200 });
}

function internalCancel(
  s: RegistryState,
  app: string,
  id: string,
  nowMs: number,
  out: RegistryOutput[],
  replication: boolean,
  evicted: boolean,
): boolean {
  const m = s.apps.get(app);
  const l = m?.get(id);
  s.overrides.delete(id);
  if (m === undefined || l === undefined) return false;
  m.delete(id);
  if (m.size === 0) s.apps.delete(app);
  s.size--;
  countStatus(s, l.info.status, -1);
  if (l.evictionMs === 0) l.evictionMs = nowMs;
  // the lease object stays referenced by the delta queue with its final status
  l.info = { ...l.info, actionType: 'DELETED', lastUpdatedTimestamp: nowMs };
  pushDelta(s, l, nowMs);
  invalidate(s, l.info, out);
  if (evicted) emit(out, { type: 'InstanceEvicted', app, id, expiredForMs: Math.max(0, nowMs - (l.lastUpdateMs + l.durationMs)) });
  else emit(out, { type: 'InstanceCancelled', app, id, replication });
  return true;
}

function evict(s: RegistryState, nowMs: number, seed: number, out: RegistryOutput[]): void {
  const compensationMs = s.lastEvictionMs === null ? 0 : Math.max(0, nowMs - s.lastEvictionMs - s.config.evictionIntervalMs);
  s.lastEvictionMs = nowMs;
  const enabled = leaseExpirationEnabled(s);
  const preserving = !enabled && s.size > 0 && s.config.selfPreservationEnabled;
  if (preserving !== s.preserving) {
    s.preserving = preserving;
    const ev = { renewsLastWindow: s.rateLast, threshold: s.threshold, expectedClients: s.expectedClients };
    emit(out, preserving ? { type: 'SelfPreservationEntered', ...ev } : { type: 'SelfPreservationLeft', ...ev });
  }
  if (!enabled) return;
  const expired: Lease[] = [];
  for (const m of s.apps.values()) for (const l of m.values()) if (isExpired(s, l, nowMs, compensationMs)) expired.push(l);
  if (expired.length === 0) return;
  const limit = s.size - Math.floor(s.size * s.config.evictionKeepRatio);
  const n = Math.min(expired.length, limit);
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    // Knuth shuffle, drawing only as many victims as we evict
    const j = rng.int(i, expired.length - 1);
    const t = expired[i]!;
    expired[i] = expired[j]!;
    expired[j] = t;
    const v = expired[i]!;
    internalCancel(s, v.info.app, v.info.instanceId, nowMs, out, false, true);
  }
}
