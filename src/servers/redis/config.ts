/**
 * The server-wide parameters CONFIG GET/SET reach, with Redis 7.0's names, value formats, bounds and error texts.
 * Node-local (as RedisRaft keeps CONFIG), except the encoding thresholds: keyspace state, set through the log
 * (src/core/keyspace/encoding.ts; the connection routes them).
 */
import { memoryValue } from '../../core/keyspace/encoding.js';
import { globMatch } from '../../core/keyspace/glob.js';
import { protoMaxBulkLenDefault } from '../../wire/resp/index.js';
import { notifyCanonical, notifyLetters } from './pubsub.js';

/** client-query-buffer-limit default (1 GiB). */
export const clientQueryBufferLimitDefault = 1024 * 1024 * 1024;
/** maxclients default. */
export const maxClientsDefault = 10_000;
/** The databases SELECT reaches (immutable, as `databases 16`). */
export const databasesCount = 16;

/** One class of client-output-buffer-limit: bytes (0 = none) and the seconds a soft excess may last. */
export interface OutputLimit {
  readonly hardBytes: number;
  readonly softBytes: number;
  readonly softSeconds: number;
}
export type OutputClass = 'normal' | 'slave' | 'pubsub';
const outputClasses: readonly OutputClass[] = ['normal', 'slave', 'pubsub'];

export interface RedisConfigValues {
  protoMaxBulkLen: number;
  clientQueryBufferLimit: number;
  maxClients: number;
  requirePass: string;
  /** notify-keyspace-events as the class letters it turns on (`A` expanded). */
  notifyKeyspaceEvents: string;
  /** SLOWLOG: commands taking at least this long are logged (-1: none); entries kept. */
  slowlogLogSlowerThan: number;
  slowlogMaxLen: number;
  /** Accepted and shown; conclave samples no latency events (LATENCY answers empty). */
  latencyMonitorThreshold: number;
  outputLimits: Record<OutputClass, OutputLimit>;
}

export function defaultConfigValues(): RedisConfigValues {
  return {
    protoMaxBulkLen: protoMaxBulkLenDefault,
    clientQueryBufferLimit: clientQueryBufferLimitDefault,
    maxClients: maxClientsDefault,
    requirePass: '',
    notifyKeyspaceEvents: '',
    slowlogLogSlowerThan: 10_000,
    slowlogMaxLen: 128,
    latencyMonitorThreshold: 0,
    outputLimits: {
      normal: { hardBytes: 0, softBytes: 0, softSeconds: 0 },
      slave: { hardBytes: 256 * 1024 * 1024, softBytes: 64 * 1024 * 1024, softSeconds: 60 },
      pubsub: { hardBytes: 32 * 1024 * 1024, softBytes: 8 * 1024 * 1024, softSeconds: 60 },
    },
  };
}

const longMax = '9223372036854775807';

interface Param {
  readonly name: string;
  readonly get: (v: RedisConfigValues) => string;
  /** Applies the value to `v`, or returns the reason it is refused. Absent: immutable. */
  readonly set?: (v: RedisConfigValues, value: string) => string | undefined;
}

function memoryParam(name: string, key: 'protoMaxBulkLen' | 'clientQueryBufferLimit', min: number): Param {
  return {
    name,
    get: (v) => String(v[key]),
    set: (v, s) => {
      const n = memoryValue(s);
      if (n === null) return 'argument must be a memory value';
      if (n < min) return `argument must be between ${min} and ${longMax} inclusive`;
      v[key] = n;
      return undefined;
    },
  };
}

function intParam(name: string, key: 'slowlogLogSlowerThan' | 'slowlogMaxLen' | 'latencyMonitorThreshold' | 'maxClients', min: number, max: number, maxText: string): Param {
  return {
    name,
    get: (v) => String(v[key]),
    set: (v, s) => {
      const n = /^-?\d+$/.test(s) ? Number(s) : NaN;
      if (Number.isNaN(n)) return "argument couldn't be parsed into an integer";
      if (n < min || n > max) return `argument must be between ${min} and ${maxText} inclusive`;
      v[key] = n;
      return undefined;
    },
  };
}

const params: readonly Param[] = [
  memoryParam('proto-max-bulk-len', 'protoMaxBulkLen', 1024 * 1024),
  memoryParam('client-query-buffer-limit', 'clientQueryBufferLimit', 1024 * 1024),
  intParam('maxclients', 'maxClients', 1, 4294967295, '4294967295'),
  intParam('slowlog-log-slower-than', 'slowlogLogSlowerThan', -1, Number.MAX_SAFE_INTEGER, longMax),
  intParam('slowlog-max-len', 'slowlogMaxLen', 0, Number.MAX_SAFE_INTEGER, longMax),
  intParam('latency-monitor-threshold', 'latencyMonitorThreshold', 0, Number.MAX_SAFE_INTEGER, longMax),
  // no memory limit and no eviction: every write is a replicated decision
  { name: 'maxmemory', get: () => '0' },
  { name: 'maxmemory-policy', get: () => 'noeviction' },
  {
    name: 'requirepass',
    get: (v) => v.requirePass,
    set: (v, s) => {
      v.requirePass = s;
      return undefined;
    },
  },
  {
    name: 'client-output-buffer-limit',
    get: (v) => outputClasses.map((c) => `${c} ${v.outputLimits[c].hardBytes} ${v.outputLimits[c].softBytes} ${v.outputLimits[c].softSeconds}`).join(' '),
    set: (v, s) => {
      const words = s.split(' ').filter((w) => w !== '');
      if (words.length % 4 !== 0) return 'Wrong number of arguments in buffer limit configuration.';
      const next = { ...v.outputLimits };
      for (let i = 0; i < words.length; i += 4) {
        const cls = words[i]!.toLowerCase() === 'replica' ? 'slave' : (words[i]!.toLowerCase() as OutputClass);
        const hard = memoryValue(words[i + 1]!);
        const soft = memoryValue(words[i + 2]!);
        const secs = /^\d+$/.test(words[i + 3]!) ? Number(words[i + 3]) : null;
        if (!outputClasses.includes(cls) || hard === null || soft === null || secs === null) return 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';
        next[cls] = { hardBytes: hard, softBytes: soft, softSeconds: secs };
      }
      v.outputLimits = next;
      return undefined;
    },
  },
  {
    name: 'notify-keyspace-events',
    get: (v) => notifyCanonical(v.notifyKeyspaceEvents),
    set: (v, s) => {
      const letters = notifyLetters(s);
      if (letters === null) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
      v.notifyKeyspaceEvents = letters;
      return undefined;
    },
  },
  { name: 'databases', get: () => String(databasesCount) },
  // Read by redis-benchmark before a run: no snapshots, no AOF (conclave persists through its own log).
  { name: 'save', get: () => '' },
  { name: 'appendonly', get: () => 'no' },
];
const byName = new Map(params.map((p) => [p.name, p]));
const utf8 = new TextEncoder();

export class RedisConfig {
  readonly values: RedisConfigValues;
  /** Told of each CONFIG SET that applied (the parameters' names). */
  readonly listeners: ((changed: readonly string[]) => void)[] = [];

  constructor(initial: Partial<RedisConfigValues> = {}) {
    this.values = { ...defaultConfigValues(), ...initial };
  }

  /** CONFIG GET: (name, value) pairs; an exact name is reported as typed, a pattern by the parameters it matches. */
  get(patterns: readonly string[]): [string, string][] {
    const out = new Map<string, string>();
    const seen = new Set<string>();
    for (const pat of patterns) {
      if (!/[[*?]/.test(pat)) {
        const p = byName.get(pat.toLowerCase());
        if (p !== undefined && !seen.has(p.name)) {
          seen.add(p.name);
          out.set(pat, p.get(this.values));
        }
        continue;
      }
      for (const p of params) {
        if (!seen.has(p.name) && globMatch(utf8.encode(pat.toLowerCase()), utf8.encode(p.name))) {
          seen.add(p.name);
          out.set(p.name, p.get(this.values));
        }
      }
    }
    return [...out];
  }

  /** CONFIG SET p v [p v ...], all or nothing: the error line, or undefined when applied. */
  set(pairs: readonly [string, string][]): string | undefined {
    const draft: RedisConfigValues = { ...this.values, outputLimits: { ...this.values.outputLimits } };
    const seen = new Set<string>();
    for (const [name] of pairs) {
      const p = byName.get(name.toLowerCase());
      if (p === undefined) return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
      if (seen.has(p.name)) return `ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`;
      seen.add(p.name);
      if (p.set === undefined) return `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`;
    }
    for (const [name, value] of pairs) {
      const why = byName.get(name.toLowerCase())!.set!(draft, value);
      if (why !== undefined) return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`;
    }
    Object.assign(this.values, draft);
    for (const l of this.listeners) l([...seen]);
    return undefined;
  }
}
