/**
 * Eureka 1.x JSON and XML in the exact shapes Eureka's server writes (Jackson `EurekaJacksonCodec`, XStream), and
 * lenient decoding of what clients send: numeric or object ports, `@enabled` as string or boolean, missing
 * `@class`, metadata with or without `@class`, single objects where arrays are expected. Decoders never throw:
 * they return `{ ok: false, error }` for a 400.
 */
import { XMLParser } from 'fast-xml-parser';
import type {
  AppView,
  AppsView,
  DataCenterInfo,
  InstanceInfo,
  InstanceStatus,
  ReplicationAction,
  ReplicationItem,
  ReplicationResult,
} from '../../core/registry/types.js';
import { parseStatus } from '../../core/registry/types.js';

export const defaultDataCenterClass = 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo';
export const amazonDataCenterClass = 'com.netflix.appinfo.AmazonInfo';
export const emptyMapClass = 'java.util.Collections$EmptyMap';
/**
 * Request bodies larger than this are refused (413) before they are read: a registration is 1-3 KB, so 1 MiB leaves
 * room for large metadata maps. (Eureka itself sets no limit of its own.)
 */
export const requestBodyBytesMax = 1024 * 1024;
/** The same for `/peerreplication/batch` (batches of 250 instances, ~2 KB each, as Eureka peers send them). */
export const replicationBodyBytesMax = 4 * 1024 * 1024;
/** Items accepted in one /peerreplication/batch request (peers send at most 250). */
export const replicationListItemsMax = 1_000;
/**
 * JSON values or XML elements in one body, counted by a pre-scan before any parser runs: parsing costs about 1 ms per
 * 2,000 of them, so this keeps one parse of a body near 25 ms (a replication batch of 250 instances has ~15,000).
 */
export const bodyElementsMax = 50_000;
/** Nesting of arrays/objects or elements in one body (Eureka's documents nest 5-7 deep). */
export const bodyDepthMax = 32;
/** Values or elements in a document read from a Eureka peer (a full registry: ~60 per instance). */
export const peerDocumentElementsMax = 10_000_000;

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface EncodeOptions {
  /** X-Eureka-Accept: compact (the mini codec). */
  readonly compact?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON encoding

/** The InstanceInfo fields, in Jackson's order, as a plain object (without the `instance` wrapper). */
export function instanceJsonObject(i: InstanceInfo, o: EncodeOptions = {}): Record<string, unknown> {
  const c = o.compact === true;
  const r: Record<string, unknown> = {};
  if (i.instanceId !== '') r.instanceId = i.instanceId;
  r.hostName = i.hostName;
  r.app = i.app;
  r.ipAddr = i.ipAddr;
  if (!c && i.sid !== undefined) r.sid = i.sid;
  r.status = i.status;
  if (!c) r.overriddenStatus = i.overriddenStatus;
  r.port = { $: i.port, '@enabled': String(i.portEnabled) };
  r.securePort = { $: i.securePort, '@enabled': String(i.securePortEnabled) };
  if (!c) r.countryId = i.countryId;
  const dci: Record<string, unknown> = { '@class': i.dataCenterInfo.className, name: i.dataCenterInfo.name };
  if (i.dataCenterInfo.metadata !== undefined) dci.metadata = { ...i.dataCenterInfo.metadata };
  r.dataCenterInfo = dci;
  if (!c) {
    const l = i.leaseInfo;
    r.leaseInfo = {
      renewalIntervalInSecs: l.renewalIntervalInSecs,
      durationInSecs: l.durationInSecs,
      registrationTimestamp: l.registrationTimestamp,
      lastRenewalTimestamp: l.lastRenewalTimestamp,
      evictionTimestamp: l.evictionTimestamp,
      serviceUpTimestamp: l.serviceUpTimestamp,
    };
    r.metadata = Object.keys(i.metadata).length === 0 ? { '@class': emptyMapClass } : { ...i.metadata };
    if (i.appGroupName !== undefined) r.appGroupName = i.appGroupName;
    if (i.homePageUrl !== undefined) r.homePageUrl = i.homePageUrl;
    if (i.statusPageUrl !== undefined) r.statusPageUrl = i.statusPageUrl;
    if (i.healthCheckUrl !== undefined) r.healthCheckUrl = i.healthCheckUrl;
    if (i.secureHealthCheckUrl !== undefined) r.secureHealthCheckUrl = i.secureHealthCheckUrl;
  }
  if (i.vipAddress !== undefined) r.vipAddress = i.vipAddress;
  if (i.secureVipAddress !== undefined) r.secureVipAddress = i.secureVipAddress;
  if (!c) r.isCoordinatingDiscoveryServer = String(i.isCoordinatingDiscoveryServer);
  r.lastUpdatedTimestamp = String(i.lastUpdatedTimestamp);
  if (!c) r.lastDirtyTimestamp = String(i.lastDirtyTimestamp);
  if (i.actionType !== undefined) r.actionType = i.actionType;
  if (i.asgName !== undefined) r.asgName = i.asgName;
  return r;
}

export function encodeInstanceJson(i: InstanceInfo, o: EncodeOptions = {}): string {
  return JSON.stringify({ instance: instanceJsonObject(i, o) });
}

function appJsonObject(a: AppView, o: EncodeOptions): Record<string, unknown> {
  return { name: a.name, instance: a.instances.map((i) => instanceJsonObject(i, o)) };
}

export function encodeAppJson(a: AppView, o: EncodeOptions = {}): string {
  return JSON.stringify({ application: appJsonObject(a, o) });
}

/** Applications: always `"application": [...]` and `"instance": [...]`, `versions__delta` as a string. */
export function encodeAppsJson(v: AppsView, o: EncodeOptions = {}): string {
  return JSON.stringify({
    applications: {
      versions__delta: v.versionsDelta,
      apps__hashcode: v.appsHashcode,
      application: v.applications.map((a) => appJsonObject(a, o)),
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// XML encoding (XStream shapes)

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '"' ? '&quot;' : '&apos;'));
}

function el(name: string, v: string | number): string {
  return `<${name}>${xmlEscape(String(v))}</${name}>`;
}

/** A metadata key as an XML element name (XStream escapes `_` as `__`; invalid characters become `_`). */
function xmlName(k: string): string {
  const n = k.replace(/_/g, '__').replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(n) ? n : `_${n}`;
}

function mapXml(m: Readonly<Record<string, string>>): string {
  let s = '';
  for (const [k, v] of Object.entries(m)) s += el(xmlName(k), v);
  return s;
}

export function instanceXml(i: InstanceInfo, o: EncodeOptions = {}): string {
  const c = o.compact === true;
  let s = '<instance>';
  if (i.instanceId !== '') s += el('instanceId', i.instanceId);
  s += el('hostName', i.hostName) + el('app', i.app) + el('ipAddr', i.ipAddr);
  if (!c && i.sid !== undefined) s += el('sid', i.sid);
  s += el('status', i.status);
  if (!c) s += el('overriddenstatus', i.overriddenStatus);
  s += `<port enabled="${i.portEnabled}">${i.port}</port><securePort enabled="${i.securePortEnabled}">${i.securePort}</securePort>`;
  if (!c) s += el('countryId', i.countryId);
  s += `<dataCenterInfo class="${xmlEscape(i.dataCenterInfo.className)}">${el('name', i.dataCenterInfo.name)}`;
  if (i.dataCenterInfo.metadata !== undefined) s += `<metadata>${mapXml(i.dataCenterInfo.metadata)}</metadata>`;
  s += '</dataCenterInfo>';
  if (!c) {
    const l = i.leaseInfo;
    s +=
      '<leaseInfo>' +
      el('renewalIntervalInSecs', l.renewalIntervalInSecs) +
      el('durationInSecs', l.durationInSecs) +
      el('registrationTimestamp', l.registrationTimestamp) +
      el('lastRenewalTimestamp', l.lastRenewalTimestamp) +
      el('evictionTimestamp', l.evictionTimestamp) +
      el('serviceUpTimestamp', l.serviceUpTimestamp) +
      '</leaseInfo>';
    s += Object.keys(i.metadata).length === 0 ? `<metadata class="${emptyMapClass}"/>` : `<metadata>${mapXml(i.metadata)}</metadata>`;
    if (i.appGroupName !== undefined) s += el('appGroupName', i.appGroupName);
    if (i.homePageUrl !== undefined) s += el('homePageUrl', i.homePageUrl);
    if (i.statusPageUrl !== undefined) s += el('statusPageUrl', i.statusPageUrl);
    if (i.healthCheckUrl !== undefined) s += el('healthCheckUrl', i.healthCheckUrl);
    if (i.secureHealthCheckUrl !== undefined) s += el('secureHealthCheckUrl', i.secureHealthCheckUrl);
  }
  if (i.vipAddress !== undefined) s += el('vipAddress', i.vipAddress);
  if (i.secureVipAddress !== undefined) s += el('secureVipAddress', i.secureVipAddress);
  if (!c) s += el('isCoordinatingDiscoveryServer', String(i.isCoordinatingDiscoveryServer));
  s += el('lastUpdatedTimestamp', i.lastUpdatedTimestamp);
  if (!c) s += el('lastDirtyTimestamp', i.lastDirtyTimestamp);
  if (i.actionType !== undefined) s += el('actionType', i.actionType);
  if (i.asgName !== undefined) s += el('asgName', i.asgName);
  return s + '</instance>';
}

function appXmlInner(a: AppView, o: EncodeOptions): string {
  return el('name', a.name) + a.instances.map((i) => instanceXml(i, o)).join('');
}

export function encodeAppXml(a: AppView, o: EncodeOptions = {}): string {
  return `<application>${appXmlInner(a, o)}</application>`;
}

export function encodeAppsXml(v: AppsView, o: EncodeOptions = {}): string {
  return (
    '<applications>' +
    el('versions__delta', v.versionsDelta) +
    el('apps__hashcode', v.appsHashcode) +
    v.applications.map((a) => `<application>${appXmlInner(a, o)}</application>`).join('') +
    '</applications>'
  );
}

export function encodeInstanceXml(i: InstanceInfo, o: EncodeOptions = {}): string {
  return instanceXml(i, o);
}

// ---------------------------------------------------------------------------------------------------------------
// decoding

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '$',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  isArray: (name) => name === 'application' || name === 'instance' || name === 'replicationList',
});

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Counts a body's values (JSON: every `[`, `{` and `,` outside strings; XML: every `<`) and its deepest nesting, in
 * one pass without allocating, and stops at the first bound crossed: an error text, or null when the body is within
 * {@link bodyElementsMax} and {@link bodyDepthMax}. XML with a DOCTYPE (entity declarations) is refused outright.
 */
export function prescanBody(t: string, xml: boolean, elementsMax = bodyElementsMax): string | null {
  let elements = 0;
  let depth = 0;
  const n = t.length;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (xml) {
      if (c === 0x3e /* > */ && t.charCodeAt(i - 1) === 0x2f /* / */) depth--; // the end of <x ... />
      if (c !== 0x3c /* < */) continue;
      const next = t.charCodeAt(i + 1);
      if (next === 0x21 /* ! */ && t.startsWith('DOCTYPE', i + 2)) return 'XML body with a DOCTYPE';
      if (next === 0x2f /* / */) depth--;
      else if (next !== 0x3f /* ? */ && next !== 0x21) depth++;
    } else if (c === 0x22 /* " */) {
      for (i++; i < n; i++) {
        const d = t.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      continue;
    } else if (c === 0x5b || c === 0x7b /* [ { */) depth++;
    else if (c === 0x5d || c === 0x7d /* ] } */) depth--;
    else if (c !== 0x2c /* , */) continue;
    if (++elements > elementsMax) return `Body has more than ${elementsMax} ${xml ? 'elements' : 'values'}`;
    if (depth > bodyDepthMax) return `Body nested deeper than ${bodyDepthMax}`;
  }
  return null;
}

/**
 * Parse a body as JSON or XML (by its first character, whatever the content type says), after {@link prescanBody}:
 * a body beyond its bounds is an error before any parser runs.
 */
export function parseBody(body: string, elementsMax = bodyElementsMax): Decoded<Obj> {
  const t = body.trimStart();
  if (t === '') return { ok: false, error: 'Empty request body' };
  const xml = t.startsWith('<');
  const tooBig = prescanBody(t, xml, elementsMax);
  if (tooBig !== null) return { ok: false, error: tooBig };
  if (xml) {
    try {
      const v = xmlParser.parse(t) as unknown;
      if (!isObj(v)) return { ok: false, error: 'Malformed XML body' };
      return { ok: true, value: v };
    } catch (e) {
      return { ok: false, error: `Malformed XML body: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  try {
    const v = JSON.parse(t) as unknown;
    if (!isObj(v)) return { ok: false, error: 'Malformed JSON body: expected an object' };
    return { ok: true, value: v };
  } catch (e) {
    return { ok: false, error: `Malformed JSON body: ${(e as Error).message}` };
  }
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isObj(v) && '$' in v) return str(v.$);
  return undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (isObj(v) && '$' in v) return num(v.$);
  return undefined;
}

function bool(v: unknown, dflt: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.toLowerCase() === 'true';
  return dflt;
}

function decodePort(v: unknown, dfltPort: number, dfltEnabled: boolean): { port: number; enabled: boolean } | string {
  if (v === undefined || v === null) return { port: dfltPort, enabled: dfltEnabled };
  if (isObj(v)) {
    const p = num(v.$);
    if (p === undefined) return 'port must be a number';
    return { port: p, enabled: bool(v['@enabled'] ?? v.enabled, true) };
  }
  const p = num(v);
  if (p === undefined) return 'port must be a number';
  return { port: p, enabled: true };
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (k === '@class' || k.startsWith('@')) continue;
    const s = str(x);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

function status(v: unknown, dflt: InstanceStatus): InstanceStatus {
  if (v === undefined || v === null) return dflt;
  return parseStatus(str(v)) ?? 'UNKNOWN';
}

/** A timestamp field: Eureka's are Java longs, so a fraction is cut off (as Jackson reads a float into a long). */
function timestampMs(v: unknown): number | undefined {
  const n = num(v);
  return n === undefined ? undefined : Math.trunc(n);
}

/** One InstanceInfo object (not wrapped) to our type, with Eureka's deserialisation defaults. */
export function decodeInstanceObject(o: Obj, nowMs: number): Decoded<InstanceInfo> {
  const dciRaw = o.dataCenterInfo;
  if (!isObj(dciRaw)) return { ok: false, error: 'Missing dataCenterInfo' };
  const dciName = str(dciRaw.name);
  if (dciName === undefined) return { ok: false, error: 'Missing dataCenterInfo Name' };
  const dciMeta = isObj(dciRaw.metadata) ? stringMap(dciRaw.metadata) : undefined;
  const dataCenterInfo: DataCenterInfo = {
    className: str(dciRaw['@class']) ?? (dciName === 'Amazon' ? amazonDataCenterClass : defaultDataCenterClass),
    name: dciName,
    ...(dciMeta !== undefined ? { metadata: dciMeta } : {}),
  };
  const port = decodePort(o.port, 7001, true);
  if (typeof port === 'string') return { ok: false, error: port };
  const securePort = decodePort(o.securePort, 7002, false);
  if (typeof securePort === 'string') return { ok: false, error: `secure${securePort}` };
  const metadata = stringMap(o.metadata);
  const hostName = str(o.hostName) ?? '';
  const instanceId = str(o.instanceId) || dciMeta?.['instance-id'] || metadata.instanceId || hostName;
  const li = isObj(o.leaseInfo) ? o.leaseInfo : {};
  const opt = (k: string): Record<string, string> => {
    const v = str(o[k]);
    return v !== undefined ? { [k]: v } : {};
  };
  const appGroup = str(o.appGroupName);
  const actionType = str(o.actionType);
  const lastUpdated = timestampMs(o.lastUpdatedTimestamp) ?? Math.floor(nowMs);
  const info: InstanceInfo = {
    instanceId,
    hostName,
    app: (str(o.app) ?? '').toUpperCase(),
    ipAddr: str(o.ipAddr) ?? '',
    ...(str(o.sid) !== undefined ? { sid: str(o.sid)! } : {}),
    status: status(o.status, 'UP'),
    overriddenStatus: status(o.overriddenStatus ?? o.overriddenstatus, 'UNKNOWN'),
    port: port.port,
    portEnabled: port.enabled,
    securePort: securePort.port,
    securePortEnabled: securePort.enabled,
    countryId: num(o.countryId) ?? 1,
    dataCenterInfo,
    leaseInfo: {
      renewalIntervalInSecs: num(li.renewalIntervalInSecs) ?? 30,
      durationInSecs: num(li.durationInSecs) ?? 90,
      registrationTimestamp: timestampMs(li.registrationTimestamp) ?? 0,
      lastRenewalTimestamp: timestampMs(li.lastRenewalTimestamp) ?? 0,
      evictionTimestamp: timestampMs(li.evictionTimestamp) ?? 0,
      serviceUpTimestamp: timestampMs(li.serviceUpTimestamp) ?? 0,
    },
    metadata,
    ...(appGroup !== undefined ? { appGroupName: appGroup.toUpperCase() } : {}),
    ...opt('homePageUrl'),
    ...opt('statusPageUrl'),
    ...opt('healthCheckUrl'),
    ...opt('secureHealthCheckUrl'),
    ...opt('vipAddress'),
    ...opt('secureVipAddress'),
    isCoordinatingDiscoveryServer: bool(o.isCoordinatingDiscoveryServer, false),
    lastUpdatedTimestamp: lastUpdated,
    lastDirtyTimestamp: timestampMs(o.lastDirtyTimestamp) ?? lastUpdated,
    ...(actionType === 'ADDED' || actionType === 'MODIFIED' || actionType === 'DELETED' ? { actionType } : {}),
    ...opt('asgName'),
  };
  return { ok: true, value: info };
}

/** A registration body: `{"instance":{...}}`, `<instance>...</instance>`, or a bare instance object. */
export function decodeInstance(body: string, nowMs: number): Decoded<InstanceInfo> {
  const p = parseBody(body);
  if (!p.ok) return p;
  const root = isObj(p.value.instance) ? p.value.instance : Array.isArray(p.value.instance) && isObj(p.value.instance[0]) ? (p.value.instance[0] as Obj) : p.value;
  if (!('app' in root) && !('hostName' in root) && !('dataCenterInfo' in root)) return { ok: false, error: 'Missing instance' };
  return decodeInstanceObject(root, nowMs);
}

function asArray(v: unknown): unknown[] {
  if (v === undefined || v === null || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

/** An Applications document (full or delta) as a client reads it: arrays or single objects. */
export function decodeApps(body: string, nowMs = 0): Decoded<AppsView> {
  const p = parseBody(body, peerDocumentElementsMax);
  if (!p.ok) return p;
  const root = p.value.applications;
  if (!isObj(root)) return { ok: false, error: 'Missing applications' };
  const applications: AppView[] = [];
  for (const a of asArray(root.application)) {
    if (!isObj(a)) return { ok: false, error: 'Malformed application' };
    const instances: InstanceInfo[] = [];
    for (const i of asArray(a.instance)) {
      if (!isObj(i)) return { ok: false, error: 'Malformed instance' };
      const d = decodeInstanceObject(i, nowMs);
      if (!d.ok) return d;
      instances.push(d.value);
    }
    applications.push({ name: str(a.name) ?? '', instances });
  }
  return { ok: true, value: { versionsDelta: str(root.versions__delta) ?? '', appsHashcode: str(root.apps__hashcode) ?? '', applications } };
}

const replicationActions: readonly ReplicationAction[] = ['Register', 'Heartbeat', 'Cancel', 'StatusUpdate', 'DeleteStatusOverride'];

/** `/peerreplication/batch` request body. */
export function decodeReplicationList(body: string, nowMs: number): Decoded<ReplicationItem[]> {
  const p = parseBody(body);
  if (!p.ok) return p;
  const list = asArray(p.value.replicationList ?? (isObj(p.value.replicationList) ? p.value.replicationList : undefined));
  if (list.length > replicationListItemsMax) return { ok: false, error: `More than ${replicationListItemsMax} replication items` };
  const items: ReplicationItem[] = [];
  for (const x of list) {
    if (!isObj(x)) return { ok: false, error: 'Malformed replication item' };
    const action = str(x.action) as ReplicationAction | undefined;
    if (action === undefined || !replicationActions.includes(action)) return { ok: false, error: `Unknown replication action ${String(action)}` };
    let instanceInfo: InstanceInfo | undefined;
    if (isObj(x.instanceInfo)) {
      const inner = isObj(x.instanceInfo.instance) ? x.instanceInfo.instance : x.instanceInfo;
      const d = decodeInstanceObject(inner, nowMs);
      if (!d.ok) return d;
      instanceInfo = d.value;
    }
    const appName = (str(x.appName) ?? instanceInfo?.app ?? '').toUpperCase();
    const id = str(x.id) ?? instanceInfo?.instanceId ?? '';
    if (appName === '' || id === '') return { ok: false, error: 'Replication item without appName or id' };
    if (action === 'Register' && instanceInfo === undefined) return { ok: false, error: 'Register replication without instanceInfo' };
    const ldt = timestampMs(x.lastDirtyTimestamp);
    const ov = parseStatus(str(x.overriddenStatus));
    const st = parseStatus(str(x.status));
    items.push({
      action,
      appName,
      id,
      ...(ldt !== undefined ? { lastDirtyTimestamp: ldt } : {}),
      ...(ov !== null ? { overriddenStatus: ov } : {}),
      ...(st !== null ? { status: st } : {}),
      ...(instanceInfo !== undefined ? { instanceInfo } : {}),
    });
  }
  return { ok: true, value: items };
}

export function encodeReplicationList(items: readonly ReplicationItem[]): string {
  return JSON.stringify({
    replicationList: items.map((it) => {
      const r: Record<string, unknown> = { appName: it.appName, id: it.id };
      if (it.lastDirtyTimestamp !== undefined) r.lastDirtyTimestamp = it.lastDirtyTimestamp;
      if (it.overriddenStatus !== undefined) r.overriddenStatus = it.overriddenStatus;
      if (it.status !== undefined) r.status = it.status;
      if (it.instanceInfo !== undefined) r.instanceInfo = instanceJsonObject(it.instanceInfo);
      r.action = it.action;
      return r;
    }),
  });
}

/** ReplicationListResponse: positional `{statusCode, responseEntity?}`. */
export function encodeReplicationResponse(results: readonly ReplicationResult[]): string {
  return JSON.stringify({
    responseList: results.map((r) => (r.instanceInfo !== undefined ? { statusCode: r.statusCode, responseEntity: instanceJsonObject(r.instanceInfo) } : { statusCode: r.statusCode })),
  });
}

/** ReplicationListResponse as a Java peer answers it (what we read back when replicating to one). */
export function decodeReplicationResponse(body: string, nowMs: number): Decoded<ReplicationResult[]> {
  const p = parseBody(body, peerDocumentElementsMax);
  if (!p.ok) return p;
  const out: ReplicationResult[] = [];
  for (const x of asArray(p.value.responseList)) {
    if (!isObj(x)) return { ok: false, error: 'Malformed replication response item' };
    const statusCode = num(x.statusCode);
    if (statusCode === undefined) return { ok: false, error: 'Replication response item without statusCode' };
    let instanceInfo: InstanceInfo | undefined;
    if (isObj(x.responseEntity)) {
      const inner = isObj(x.responseEntity.instance) ? x.responseEntity.instance : x.responseEntity;
      const d = decodeInstanceObject(inner, nowMs);
      if (d.ok) instanceInfo = d.value;
    }
    out.push({ statusCode, ...(instanceInfo !== undefined ? { instanceInfo } : {}) });
  }
  return { ok: true, value: out };
}
