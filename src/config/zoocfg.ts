/**
 * A standard ZooKeeper `zoo.cfg` (java.util.Properties style: `key=value` lines, `#`/`!` comments) and
 * `dataDir/myid`, as `QuorumPeerMain zoo.cfg` reads them. Keys this parser does not know are collected in
 * `unknownKeys` (the caller warns once); malformed lines and impossible values are `ZooCfgError`s naming the file
 * and the line.
 *
 * `server.N=host:quorumPort:electionPort[:participant|observer][;[clientAddr:]clientPort]` (a host may be an IPv6
 * literal in brackets). Durations keep ZooKeeper's units: `tickTime` in ms, `initLimit`/`syncLimit` in ticks,
 * `autopurge.purgeInterval` in hours.
 */
import { readFileSync } from 'node:fs';
import { applyJvmProperties, jvmPropertiesOf, type JvmSettings } from './jvmprops.js';
import { isAbsolute, join, resolve } from 'node:path';
import { logLevelOf, type LogLevel } from '../log.js';

export class ZooCfgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZooCfgError';
  }
}

export interface ZooServer {
  /** The N of `server.N` (a server id, as in myid). */
  readonly id: number;
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly role: 'participant' | 'observer';
  /** From the `;[clientAddr:]clientPort` suffix, if any. */
  readonly clientAddress?: string;
  readonly clientPort?: number;
  /** 1-based line in the file. */
  readonly line: number;
}

export interface ZooCfg {
  /** Absolute path of the file read. */
  readonly path: string;
  readonly tickTimeMs: number;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  /** Absolute (relative paths are taken from the config file's directory). */
  readonly dataDir: string;
  /** Absolute; absent when not set (the log then lives in dataDir). */
  readonly dataLogDir?: string;
  /** The client port of this server (`clientPort=` or this server's `;clientPort` suffix). */
  readonly clientPort?: number;
  readonly clientPortAddress?: string;
  /** Connections per client address (0 = unlimited). */
  readonly maxClientCnxns: number;
  /** Session timeouts a client may negotiate (default [2, 20] x tickTime). */
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** Four-letter words allowed on the client port; `['*']` = all. */
  readonly fourLetterWords: readonly string[];
  readonly admin: { readonly enabled: boolean; readonly address: string; readonly port: number; readonly commandUrl: string };
  readonly autopurge: { readonly snapRetainCount: number; readonly purgeIntervalHours: number };
  /** conclave's own key: serve Eureka on this port. */
  readonly eurekaPort?: number;
  /** conclave's own key: serve RESP (Redis) on this port. */
  readonly redisPort?: number;
  /**
   * `metricsProvider.className=...PrometheusMetricsProvider`: serve `/metrics` on `metricsProvider.httpHost`
   * (default all interfaces) : `metricsProvider.httpPort` (default 7000), as ZooKeeper 3.6+ does.
   */
  readonly metricsProvider?: { readonly host: string; readonly port: number };
  /**
   * conclave's own key `zabTickMs`: ZAB's tick (pings; a leader or follower gives up after 5 silent ticks). The
   * default 50 ms notices a lost leader in 250 ms; a slower network or long pauses want more.
   */
  readonly zabTickMs?: number;
  /** conclave's own key `logLevel`: the level of `conclave node`'s log (below `--log-level`, above the system property). */
  readonly logLevel?: LogLevel;
  /**
   * The super user's `user:base64(sha1(user:password))`: from the key `DigestAuthenticationProvider.superDigest`
   * (ZooKeeper turns unknown keys into `zookeeper.`-prefixed system properties), else from
   * `-Dzookeeper.DigestAuthenticationProvider.superDigest=` in SERVER_JVMFLAGS/JVMFLAGS (see loadZooMember).
   */
  readonly superDigest?: string;
  /** `authProvider.N` → provider class, by N (the file's keys; `-Dzookeeper.authProvider.N` are in `jvm`). */
  readonly authProviders?: Readonly<Record<string, string>>;
  /** What Java system properties (SERVER_JVMFLAGS, JVMFLAGS, `-D` arguments) set beyond the keys above. */
  readonly jvm?: JvmSettings;
  /** Sorted by id; empty = standalone. */
  readonly servers: readonly ZooServer[];
  /** Keys present in the file that this parser does not know (ignored), in file order. */
  readonly unknownKeys: readonly string[];
  /** Keys ZooKeeper knows that are accepted and have no effect here, in file order. */
  readonly ignoredKeys: readonly string[];
}

export const zooDefaults = {
  tickTimeMs: 2_000,
  initLimitTicks: 10,
  syncLimitTicks: 5,
  maxClientCnxns: 60,
  sessionTimeoutMinTicks: 2,
  sessionTimeoutMaxTicks: 20,
  fourLetterWords: ['srvr'] as readonly string[],
  adminEnabled: true,
  adminAddress: '0.0.0.0',
  adminPort: 8_080,
  adminCommandUrl: '/commands',
  /** ZooKeeper's PrometheusMetricsProvider defaults. */
  metricsHost: '0.0.0.0',
  metricsPort: 7_000,
  snapRetainCountMin: 3,
  purgeIntervalHours: 0,
  /** Bounds of conclave's `zabTickMs` key. */
  zabTickMsMin: 10,
  zabTickMsMax: 2_000,
} as const;

/** Bytes of zoo.cfg read at most (a real one is a few hundred). */
export const zooCfgBytesMax = 1024 * 1024;
/** Servers in one ensemble at most. */
export const serversMax = 255;

/** The zoo.cfg key of the super user's digest, and the system property ZooKeeper reads it from. */
export const superDigestKey = 'DigestAuthenticationProvider.superDigest';
export const superDigestProperty = `zookeeper.${superDigestKey}`;

/** A super digest must be `user:digest` (both parts non-empty), else no session could ever match it. */
export function checkSuperDigest(value: string, where: string): string {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) {
    throw new ZooCfgError(`${where}: the super digest must be user:base64(sha1(user:password)), got '${value}'`);
  }
  return value;
}

/** The system property ZooKeeper's log4j configuration takes its root logger from (`LEVEL,APPENDER`). */
export const rootLoggerProperty = 'zookeeper.root.logger';

/** A `4lw.commands.whitelist` value: comma-separated words, lower-cased, `*` = all. */
export function fourLetterWordsOf(value: string, where: string): string[] {
  const words = value.split(',').map((w) => w.trim()).filter((w) => w !== '').map((w) => (w === '*' ? '*' : w.toLowerCase()));
  for (const w of words) {
    if (w !== '*' && !/^[a-z]{4}$/.test(w)) throw new ZooCfgError(`${where}: '${w}' is not a four-letter word`);
  }
  return words;
}

/** Keys ZooKeeper knows that we accept without acting on them. */
const acceptedKeys = new Set([
  'reconfigEnabled',
  'standaloneEnabled',
  'peerType',
  'snapCount',
  'globalOutstandingLimit',
  'preAllocSize',
  'commitLogCount',
  'electionAlg',
  'quorumListenOnAllIPs',
  'secureClientPort',
  'secureClientPortAddress',
  'clientPortListenBacklog',
  'localSessionsEnabled',
  'localSessionsUpgradingEnabled',
  'syncEnabled',
  'forceSync',
  'skipACL',
  'jute.maxbuffer',
  'connectToLearnerMasterLimit',
  'initLimit.learnerMaster',
  'multiAddress.enabled',
  'sslQuorum',
  'portUnification',
]);
/** ZooKeeper's provider class that makes the `sasl` ACL scheme valid (src/servers/zookeeper/sasl.ts). */
export const saslProviderClass = 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider';

const acceptedPrefixes = ['authProvider.', 'metricsProvider.', 'ssl.', 'zookeeper.', 'group.', 'weight.'];

const knownKeys = new Set([
  'tickTime',
  'initLimit',
  'syncLimit',
  'dataDir',
  'dataLogDir',
  'clientPort',
  'clientPortAddress',
  'maxClientCnxns',
  'minSessionTimeout',
  'maxSessionTimeout',
  '4lw.commands.whitelist',
  'admin.enableServer',
  'admin.serverAddress',
  'admin.serverPort',
  'admin.commandURL',
  'autopurge.snapRetainCount',
  'autopurge.purgeInterval',
  'eurekaPort',
  'redisPort',
  'metricsProvider.className',
  'metricsProvider.httpPort',
  'metricsProvider.httpHost',
  'zabTickMs',
  'logLevel',
  superDigestKey,
]);

interface Entry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** Split Properties-style text into entries (the last of a repeated key wins, as in java.util.Properties). */
function entriesOf(text: string, file: string): Entry[] {
  const out: Entry[] = [];
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#') || raw.startsWith('!')) continue;
    // a trailing backslash continues the value on the next line
    while (raw.endsWith('\\') && i + 1 < lines.length) raw = raw.slice(0, -1) + lines[++i]!.trim();
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new ZooCfgError(`${file}:${lineNo}: expected key=value, got '${raw}'`);
    out.push({ key: raw.slice(0, eq).trim(), value: raw.slice(eq + 1).trim(), line: lineNo });
  }
  return out;
}

function portOf(v: string, what: string, where: string): number {
  if (!/^\d+$/.test(v)) throw new ZooCfgError(`${where}: ${what} must be a port number (1-65535), got '${v}'`);
  const n = Number(v);
  if (n < 1 || n > 65_535) throw new ZooCfgError(`${where}: ${what} must be a port number (1-65535), got '${v}'`);
  return n;
}

function intOf(v: string, what: string, where: string, min: number): number {
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new ZooCfgError(`${where}: ${what} must be an integer, got '${v}'`);
  const n = Number(v);
  if (n < min) throw new ZooCfgError(`${where}: ${what} must be at least ${min}, got ${n}`);
  return n;
}

function boolOf(v: string, what: string, where: string): boolean {
  const l = v.toLowerCase();
  if (l === 'true' || l === 'yes') return true;
  if (l === 'false' || l === 'no') return false;
  throw new ZooCfgError(`${where}: ${what} must be true or false, got '${v}'`);
}

/** `host:port` where host may be `[v6]`; returns [host, rest after the colon]. */
function splitHost(s: string, where: string): [string, string] {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') throw new ZooCfgError(`${where}: bad bracketed address '${s}'`);
    return [s.slice(1, close), s.slice(close + 2)];
  }
  const c = s.indexOf(':');
  if (c < 0) return [s, ''];
  return [s.slice(0, c), s.slice(c + 1)];
}

/** Parse the value of one `server.N` line. */
export function parseServerLine(id: number, value: string, where: string, line = 0): ZooServer {
  const usage = 'expected host:quorumPort:electionPort[:participant|observer][;[clientAddr:]clientPort]';
  const [addrPart, clientPart, ...more] = value.split(';');
  if (more.length > 0 || addrPart === undefined || addrPart === '') throw new ZooCfgError(`${where}: ${usage}, got '${value}'`);
  const [host, rest] = splitHost(addrPart.trim(), where);
  const parts = rest.split(':');
  if (host === '' || parts.length < 2 || parts.length > 3) throw new ZooCfgError(`${where}: ${usage}, got '${value}'`);
  const quorumPort = portOf(parts[0]!, 'the quorum port', where);
  const electionPort = portOf(parts[1]!, 'the election port', where);
  let role: ZooServer['role'] = 'participant';
  if (parts.length === 3) {
    const r = parts[2]!.toLowerCase();
    if (r !== 'participant' && r !== 'observer') throw new ZooCfgError(`${where}: the role must be participant or observer, got '${parts[2]}'`);
    role = r;
  }
  let clientAddress: string | undefined;
  let clientPort: number | undefined;
  if (clientPart !== undefined) {
    const c = clientPart.trim();
    if (c.includes(':') || c.startsWith('[')) {
      const lastColon = c.lastIndexOf(':');
      const addr = c.slice(0, lastColon);
      clientAddress = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
      if (clientAddress === '') throw new ZooCfgError(`${where}: empty client address in '${value}'`);
      clientPort = portOf(c.slice(lastColon + 1), 'the client port', where);
    } else clientPort = portOf(c, 'the client port', where);
  }
  return {
    id,
    host,
    quorumPort,
    electionPort,
    role,
    ...(clientAddress !== undefined ? { clientAddress } : {}),
    ...(clientPort !== undefined ? { clientPort } : {}),
    line,
  };
}

/** Parse zoo.cfg text; `path` names the file in errors and anchors relative directories. */
export function parseZooCfg(text: string, path: string): ZooCfg {
  const file = resolve(path);
  const baseDir = resolve(file, '..');
  const entries = entriesOf(text, path);
  const last = new Map<string, Entry>();
  const servers = new Map<number, ZooServer>();
  const unknownKeys: string[] = [];
  const ignoredKeys: string[] = [];
  for (const e of entries) {
    const where = `${path}:${e.line}`;
    const sm = /^server\.(.*)$/.exec(e.key);
    if (sm) {
      if (!/^\d+$/.test(sm[1]!)) throw new ZooCfgError(`${where}: server id must be a non-negative integer, got 'server.${sm[1]}'`);
      const id = Number(sm[1]);
      if (!Number.isSafeInteger(id)) throw new ZooCfgError(`${where}: server id too large: ${sm[1]}`);
      if (servers.has(id)) throw new ZooCfgError(`${where}: server.${id} is defined twice (also on line ${servers.get(id)!.line})`);
      servers.set(id, parseServerLine(id, e.value, where, e.line));
      if (servers.size > serversMax) throw new ZooCfgError(`${where}: more than ${serversMax} servers`);
      continue;
    }
    if (knownKeys.has(e.key)) last.set(e.key, e);
    else if (e.key.startsWith('authProvider.') && e.value.trim() === saslProviderClass) continue;
    else if (acceptedKeys.has(e.key) || acceptedPrefixes.some((p) => e.key.startsWith(p))) {
      if (!ignoredKeys.includes(e.key)) ignoredKeys.push(e.key);
    } else if (!unknownKeys.includes(e.key)) unknownKeys.push(e.key);
  }
  const get = (k: string): Entry | undefined => last.get(k);
  const at = (e: Entry): string => `${path}:${e.line}`;
  const int = (k: string, dflt: number, min: number): number => {
    const e = get(k);
    return e === undefined ? dflt : intOf(e.value, k, at(e), min);
  };
  const port = (k: string): number | undefined => {
    const e = get(k);
    return e === undefined ? undefined : portOf(e.value, k, at(e));
  };
  const dir = (k: string): string | undefined => {
    const e = get(k);
    if (e === undefined) return undefined;
    if (e.value === '') throw new ZooCfgError(`${at(e)}: ${k} is empty`);
    return isAbsolute(e.value) ? e.value : join(baseDir, e.value);
  };

  const tickTimeMs = int('tickTime', zooDefaults.tickTimeMs, 1);
  const dataDir = dir('dataDir');
  if (dataDir === undefined) throw new ZooCfgError(`${path}: dataDir is not set`);
  const dataLogDir = dir('dataLogDir');
  const minSessionTimeoutMs = int('minSessionTimeout', tickTimeMs * zooDefaults.sessionTimeoutMinTicks, 1);
  const maxSessionTimeoutMs = int('maxSessionTimeout', tickTimeMs * zooDefaults.sessionTimeoutMaxTicks, 1);
  if (minSessionTimeoutMs > maxSessionTimeoutMs) {
    throw new ZooCfgError(`${path}: minSessionTimeout (${minSessionTimeoutMs}) must not be larger than maxSessionTimeout (${maxSessionTimeoutMs})`);
  }
  const wl = get('4lw.commands.whitelist');
  const fourLetterWords = wl === undefined ? zooDefaults.fourLetterWords : fourLetterWordsOf(wl.value, at(wl));
  const adminEnabled = get('admin.enableServer');
  const retain = int('autopurge.snapRetainCount', zooDefaults.snapRetainCountMin, 0);
  const eurekaPort = port('eurekaPort');
  const redisPort = port('redisPort');
  const metricsClass = get('metricsProvider.className');
  const metricsProvider = metricsClass === undefined || !/(^|\.)PrometheusMetricsProvider$/.test(metricsClass.value)
    ? undefined
    : { host: get('metricsProvider.httpHost')?.value || zooDefaults.metricsHost, port: port('metricsProvider.httpPort') ?? zooDefaults.metricsPort };
  if (metricsClass !== undefined && metricsProvider === undefined) {
    throw new ZooCfgError(`${at(metricsClass)}: metricsProvider.className: only org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider is served, got '${metricsClass.value}'`);
  }
  const zabTick = get('zabTickMs');
  const zabTickMs = zabTick === undefined ? undefined : intOf(zabTick.value, 'zabTickMs', at(zabTick), zooDefaults.zabTickMsMin);
  if (zabTickMs !== undefined && zabTickMs > zooDefaults.zabTickMsMax) throw new ZooCfgError(`${at(zabTick!)}: zabTickMs must be at most ${zooDefaults.zabTickMsMax}, got ${zabTickMs}`);
  const logLevelEntry = get('logLevel');
  let logLevel: LogLevel | undefined;
  try {
    logLevel = logLevelEntry === undefined ? undefined : logLevelOf(logLevelEntry.value, `${at(logLevelEntry)}: logLevel`);
  } catch (e) {
    throw new ZooCfgError((e as Error).message);
  }
  const clientPortCfg = port('clientPort');
  const clientPortAddress = get('clientPortAddress')?.value;
  const authProviders = entries.filter((e) => e.key.startsWith('authProvider.') && e.key.length > 'authProvider.'.length);
  const superDigestEntry = get(superDigestKey);
  const superDigest = superDigestEntry === undefined ? undefined : checkSuperDigest(superDigestEntry.value, at(superDigestEntry));
  return {
    path: file,
    tickTimeMs,
    initLimitTicks: int('initLimit', zooDefaults.initLimitTicks, 1),
    syncLimitTicks: int('syncLimit', zooDefaults.syncLimitTicks, 1),
    dataDir,
    ...(dataLogDir !== undefined ? { dataLogDir } : {}),
    ...(clientPortCfg !== undefined ? { clientPort: clientPortCfg } : {}),
    ...(clientPortAddress !== undefined && clientPortAddress !== '' ? { clientPortAddress } : {}),
    maxClientCnxns: int('maxClientCnxns', zooDefaults.maxClientCnxns, 0),
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
    fourLetterWords,
    admin: {
      enabled: adminEnabled === undefined ? zooDefaults.adminEnabled : boolOf(adminEnabled.value, 'admin.enableServer', at(adminEnabled)),
      address: get('admin.serverAddress')?.value || zooDefaults.adminAddress,
      port: port('admin.serverPort') ?? zooDefaults.adminPort,
      commandUrl: get('admin.commandURL')?.value || zooDefaults.adminCommandUrl,
    },
    // ZooKeeper raises a retain count below 3 to 3
    autopurge: { snapRetainCount: Math.max(zooDefaults.snapRetainCountMin, retain), purgeIntervalHours: int('autopurge.purgeInterval', zooDefaults.purgeIntervalHours, 0) },
    ...(eurekaPort !== undefined ? { eurekaPort } : {}),
    ...(redisPort !== undefined ? { redisPort } : {}),
    ...(metricsProvider !== undefined ? { metricsProvider } : {}),
    ...(zabTickMs !== undefined ? { zabTickMs } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
    ...(superDigest !== undefined ? { superDigest } : {}),
    ...(authProviders.length > 0 ? { authProviders: Object.fromEntries(authProviders.map((e) => [e.key.slice('authProvider.'.length), e.value.trim()])) } : {}),
    servers: [...servers.values()].sort((a, b) => a.id - b.id),
    unknownKeys,
    ignoredKeys,
  };
}

/** Bytes of dataDir/myid read at most. */
const myidBytesMax = 64;

/** `dataDir/myid`: the server id, decimal. Null if the file does not exist. */
export function readMyId(dataDir: string): number | null {
  const p = join(dataDir, 'myid');
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ZooCfgError(`${p}: cannot read: ${(e as Error).message}`);
  }
  const t = text.slice(0, myidBytesMax).trim();
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t))) throw new ZooCfgError(`${p}: expected a decimal server id, got '${t}'`);
  return Number(t);
}

/** A zoo.cfg with this server's identity resolved. */
export interface ZooMember {
  readonly cfg: ZooCfg;
  /** This server's id (myid; 1 when standalone without a myid). */
  readonly myId: number;
  /** This server's own `server.N` line (a synthesized one when standalone). */
  readonly self: ZooServer;
  readonly standalone: boolean;
  /** The client port this server serves (absent: none configured). */
  readonly clientPort?: number;
  readonly clientAddress: string;
}

/**
 * Read and parse a zoo.cfg and its dataDir/myid; every problem is a `ZooCfgError` with a clear message. Java system
 * properties from `env`'s SERVER_JVMFLAGS/JVMFLAGS (as zkServer.sh passes them) and `jvmArgs` (`-Dname=value`
 * before the zoo.cfg path) apply where the file does not set the same (src/config/jvmprops.ts); `warn` gets one
 * line for the properties ignored.
 */
export function loadZooMember(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  jvmArgs: readonly string[] = [],
  warn: (line: string) => void = () => undefined,
): ZooMember {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > zooCfgBytesMax) throw new ZooCfgError(`${path}: larger than ${zooCfgBytesMax} bytes; is this a zoo.cfg?`);
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof ZooCfgError) throw e;
    throw new ZooCfgError(`${path}: cannot read the configuration: ${(e as Error).message}`);
  }
  const fileKeys = new Set(text.split('\n').map((l) => l.split('=')[0]!.trim()));
  const props = jvmPropertiesOf(`${env.SERVER_JVMFLAGS ?? ''} ${env.JVMFLAGS ?? ''}`, jvmArgs);
  const cfg = applyJvmProperties(parseZooCfg(text, path), props, fileKeys, warn);
  return resolveMember(cfg, readMyId);
}

/** Pick this server out of the parsed config, given a way to read myid (injectable for tests). */
export function resolveMember(cfg: ZooCfg, myIdOf: (dataDir: string) => number | null): ZooMember {
  const myIdFile = join(cfg.dataDir, 'myid');
  if (cfg.servers.length === 0) {
    const myId = myIdOf(cfg.dataDir) ?? 1;
    const clientPort = cfg.clientPort;
    return {
      cfg,
      myId,
      self: { id: myId, host: '127.0.0.1', quorumPort: 0, electionPort: 0, role: 'participant', line: 0 },
      standalone: true,
      ...(clientPort !== undefined ? { clientPort } : {}),
      clientAddress: cfg.clientPortAddress ?? '0.0.0.0',
    };
  }
  const myId = myIdOf(cfg.dataDir);
  if (myId === null) {
    throw new ZooCfgError(`${myIdFile} is missing: with server.N lines every member needs dataDir/myid holding its N (one of ${cfg.servers.map((s) => s.id).join(', ')})`);
  }
  const self = cfg.servers.find((s) => s.id === myId);
  if (self === undefined) {
    throw new ZooCfgError(`${myIdFile} says ${myId}, but ${cfg.path} has no server.${myId} (servers: ${cfg.servers.map((s) => s.id).join(', ')})`);
  }
  if (!cfg.servers.some((s) => s.role === 'participant')) throw new ZooCfgError(`${cfg.path}: no participant among the servers (all are observers)`);
  if (cfg.clientPort !== undefined && self.clientPort !== undefined && cfg.clientPort !== self.clientPort) {
    throw new ZooCfgError(`${cfg.path}: clientPort=${cfg.clientPort} and server.${myId}'s ;${self.clientPort} disagree`);
  }
  const clientPort = self.clientPort ?? cfg.clientPort;
  return {
    cfg,
    myId,
    self,
    standalone: false,
    ...(clientPort !== undefined ? { clientPort } : {}),
    clientAddress: self.clientAddress ?? cfg.clientPortAddress ?? '0.0.0.0',
  };
}
