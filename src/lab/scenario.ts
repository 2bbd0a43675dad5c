/**
 * Scenario files (docs/lab.md, "Scenarios"): YAML naming the cluster, the workload and the faults, the same for the
 * CLI (`conclave lab run`), the dashboard and CI. The fault entries are the JSON the dashboard's buttons post, plus
 * `atMs` (and `forMs`).
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { RegistryConfig } from '../core/registry/types.js';
import { defaultRegistryConfig } from '../core/registry/types.js';
import type { ScheduledFault } from './faults.js';
import { faultDurationMaxMs, parseScheduledFault } from './faults.js';
import type { WorkloadSpec } from './workload.js';
import { defaultWorkload, redisMixOps, workloadClientsMax, workloadKeysMax, workloadOpsMax } from './workload.js';

export type LabRuntime = 'sim' | 'threads' | 'tcp';

export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly nodes: number;
  readonly runtime: LabRuntime;
  /** How long the workload runs (ms; virtual under the sim), faults included; every fault is undone at the end. */
  readonly durationMs: number;
  /** The seed when the command line gives none. */
  readonly seed?: number;
  readonly workload: WorkloadSpec;
  readonly faults: readonly ScheduledFault[];
  /**
   * The verdict the scenario should get (default valid). A scenario that shows a known bug says `violation`, so CI
   * notices both a regression and the fix.
   */
  readonly expect: 'valid' | 'violation';
  /**
   * Tests only: a deliberately broken storage (the simulation swarm's test faults) on one node or all, to show that
   * the checker catches what it breaks.
   */
  readonly broken?: { readonly node?: string; readonly storage: { readonly dropLoggedEntryNth?: number; readonly ackWithoutFsync?: boolean } };
  /** The Eureka registries' configuration (RegistryConfig fields; docs/eureka.md), e.g. short leases for a run. */
  readonly registry?: Partial<RegistryConfig>;
}

/** Nodes a scenario may ask for. */
export const scenarioNodesMax = 9;
/** Fault entries one scenario may hold. */
export const scenarioFaultsMax = 1_000;
/** A workload operation's weight, at most. */
export const mixWeightMax = 1_000;
/** Characters of a scenario's name, at most. */
export const scenarioNameMax = 200;
/** The `broken.storage.dropLoggedEntryNth` value, at most. */
export const dropLoggedEntryNthMax = 1_000_000;
/** A scenario's duration when it names none (ms). */
export const scenarioDurationMsDefault = 5_000;
/** A registry setting given in ms (or a count), at most (one day). */
export const registrySettingMax = 86_400_000;
/** Bytes of a scenario file, at most. */
export const scenarioBytesMax = 1 << 20;

function int(o: Record<string, unknown>, k: string, lo: number, hi: number, dflt: number): number {
  const v = o[k] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new Error(`"${k}" must be an integer in [${lo}, ${hi}]`);
  return v;
}

function mix<K extends string>(v: unknown, keys: readonly K[], what: string, dflt: Readonly<Partial<Record<K, number>>>): Partial<Record<K, number>> {
  if (v === undefined) return { ...dflt };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`"${what}" must map operations to weights`);
  const out: Partial<Record<K, number>> = {};
  for (const [k, w] of Object.entries(v)) {
    if (!keys.includes(k as K)) throw new Error(`"${what}": unknown operation '${k}' (${keys.join(', ')})`);
    if (typeof w !== 'number' || !(w >= 0) || w > mixWeightMax) throw new Error(`"${what}.${k}" must be a weight in [0, ${mixWeightMax}]`);
    out[k as K] = w;
  }
  return out;
}

/** A seed as a number or a `0x...` string. */
export function parseSeedValue(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  if (typeof v === 'string' && /^0x[0-9a-f]{1,8}$/i.test(v)) return Number.parseInt(v.slice(2), 16) >>> 0;
  if (typeof v === 'string' && /^[0-9]{1,10}$/.test(v) && Number(v) <= 0xffffffff) return Number(v);
  throw new Error(`a seed is an integer in [0, 2^32) (decimal, or 0x followed by 1-8 hex digits), not ${JSON.stringify(v)}`);
}

/** Checks a parsed scenario document; errors name the field. */
export function parseScenario(doc: unknown): Scenario {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('a scenario is a YAML mapping');
  const o = doc as Record<string, unknown>;
  const known = ['name', 'description', 'nodes', 'runtime', 'durationMs', 'seed', 'workload', 'faults', 'expect', 'broken', 'registry'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new Error(`unknown scenario field '${k}' (${known.join(', ')})`);
  if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > scenarioNameMax) throw new Error('"name" must be a non-empty string');
  const runtime = o.runtime ?? 'sim';
  if (runtime !== 'sim' && runtime !== 'threads' && runtime !== 'tcp') throw new Error('"runtime" must be sim, threads or tcp');
  const w = (o.workload ?? {}) as Record<string, unknown>;
  if (typeof w !== 'object' || Array.isArray(w)) throw new Error('"workload" must be a mapping');
  for (const k of Object.keys(w)) if (!['zkClients', 'redisClients', 'eurekaClients', 'keys', 'opsMax', 'thinkMs', 'requestTimeoutMs', 'zk', 'redis', 'eureka'].includes(k)) throw new Error(`unknown workload field '${k}'`);
  const e = (w.eureka ?? {}) as Record<string, unknown>;
  if (typeof e !== 'object' || Array.isArray(e)) throw new Error('"workload.eureka" must be a mapping');
  for (const k of Object.keys(e)) if (!['renewMs', 'query', 'cancel'].includes(k)) throw new Error(`unknown workload.eureka field '${k}' (renewMs, query, cancel)`);
  const ratio = (k: 'query' | 'cancel'): number => {
    const v = e[k] ?? defaultWorkload.eureka[k];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`"workload.eureka.${k}" must be a probability in [0, 1]`);
    return v;
  };
  const workload: WorkloadSpec = {
    zkClients: int(w, 'zkClients', 0, workloadClientsMax, defaultWorkload.zkClients),
    redisClients: int(w, 'redisClients', 0, workloadClientsMax, defaultWorkload.redisClients),
    keys: int(w, 'keys', 1, workloadKeysMax, defaultWorkload.keys),
    opsMax: int(w, 'opsMax', 0, workloadOpsMax, defaultWorkload.opsMax),
    thinkMs: int(w, 'thinkMs', 0, faultDurationMaxMs, defaultWorkload.thinkMs),
    requestTimeoutMs: int(w, 'requestTimeoutMs', 1, faultDurationMaxMs, defaultWorkload.requestTimeoutMs),
    zkMix: mix(w.zk, ['setData', 'getData', 'syncGetData', 'create'], 'workload.zk', defaultWorkload.zkMix),
    redisMix: mix(w.redis, redisMixOps, 'workload.redis', defaultWorkload.redisMix),
    eurekaClients: int(w, 'eurekaClients', 0, workloadClientsMax, defaultWorkload.eurekaClients),
    eureka: { renewMs: int(e, 'renewMs', 1, faultDurationMaxMs, defaultWorkload.eureka.renewMs), query: ratio('query'), cancel: ratio('cancel') },
  };
  const faultsIn = o.faults ?? [];
  if (!Array.isArray(faultsIn) || faultsIn.length > scenarioFaultsMax) throw new Error(`"faults" must be a list of at most ${scenarioFaultsMax} entries`);
  const faults = faultsIn.map((f, i) => {
    try {
      return parseScheduledFault(f);
    } catch (e) {
      throw new Error(`faults[${i}]: ${(e as Error).message}`);
    }
  });
  const expect = o.expect ?? 'valid';
  if (expect !== 'valid' && expect !== 'violation') throw new Error('"expect" must be valid or violation');
  let broken: Scenario['broken'];
  if (o.broken !== undefined) {
    const b = o.broken as Record<string, unknown>;
    const s = (b?.storage ?? {}) as Record<string, unknown>;
    if (typeof b !== 'object' || b === null || (b.node !== undefined && typeof b.node !== 'string')) throw new Error('"broken" must be { node?, storage: { dropLoggedEntryNth?, ackWithoutFsync? } }');
    broken = {
      ...(b.node !== undefined ? { node: b.node as string } : {}),
      storage: {
        ...(s.dropLoggedEntryNth !== undefined ? { dropLoggedEntryNth: int(s, 'dropLoggedEntryNth', 1, dropLoggedEntryNthMax, 1) } : {}),
        ...(s.ackWithoutFsync !== undefined ? { ackWithoutFsync: s.ackWithoutFsync === true } : {}),
      },
    };
  }
  let registry: Partial<RegistryConfig> | undefined;
  if (o.registry !== undefined) {
    if (typeof o.registry !== 'object' || o.registry === null || Array.isArray(o.registry)) throw new Error('"registry" must map registry settings to values');
    const out: Record<string, number | boolean> = {};
    for (const [k, v] of Object.entries(o.registry)) {
      const dflt = (defaultRegistryConfig as unknown as Record<string, unknown>)[k];
      if (dflt === undefined) throw new Error(`unknown registry setting '${k}' (${Object.keys(defaultRegistryConfig).join(', ')})`);
      if (typeof dflt === 'boolean' ? typeof v !== 'boolean' : typeof v !== 'number' || !(v >= 0 && v <= registrySettingMax)) {
        throw new Error(`"registry.${k}" must be ${typeof dflt === 'boolean' ? 'true or false' : `a number in [0, ${registrySettingMax}]`}`);
      }
      out[k] = v as number | boolean;
    }
    registry = out as Partial<RegistryConfig>;
  }
  return {
    name: o.name,
    ...(typeof o.description === 'string' ? { description: o.description } : {}),
    nodes: int(o, 'nodes', 1, scenarioNodesMax, 3),
    runtime,
    durationMs: int(o, 'durationMs', 1, faultDurationMaxMs, scenarioDurationMsDefault),
    ...(o.seed !== undefined ? { seed: parseSeedValue(o.seed) } : {}),
    workload,
    faults,
    expect,
    ...(broken !== undefined ? { broken } : {}),
    ...(registry !== undefined ? { registry } : {}),
  };
}

export function parseScenarioYaml(text: string): Scenario {
  if (text.length > scenarioBytesMax) throw new Error(`a scenario file is at most ${scenarioBytesMax} bytes`);
  return parseScenario(parse(text));
}

export function loadScenario(path: string): Scenario {
  try {
    return parseScenarioYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** The scenario as its file says it (`parseScenario` reads it back): run.json holds this. */
export function scenarioDoc(s: Scenario): Record<string, unknown> {
  const { workload: w, ...rest } = s;
  return {
    ...rest,
    workload: {
      zkClients: w.zkClients,
      redisClients: w.redisClients,
      keys: w.keys,
      opsMax: w.opsMax,
      thinkMs: w.thinkMs,
      requestTimeoutMs: w.requestTimeoutMs,
      zk: w.zkMix,
      redis: w.redisMix,
      ...(w.eurekaClients > 0 ? { eurekaClients: w.eurekaClients, eureka: w.eureka } : {}),
    },
  };
}

/** The scenario as YAML (a shrunk fault plan is written back this way). */
export function scenarioYaml(s: Scenario): string {
  return stringify(scenarioDoc(s));
}
