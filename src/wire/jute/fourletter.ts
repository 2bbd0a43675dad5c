/**
 * Text replies of the four-letter words, in ZooKeeper 3.8's layouts (spec §13), from plain data. Each function
 * returns the whole reply; the server writes it in one send and closes the connection.
 */

import { OpCode } from './constants.js';

export type ServerMode = 'leader' | 'follower' | 'observer' | 'standalone' | 'read-only';

export interface ServerStatsInfo {
  /** Full version string, e.g. `3.8.0-conclave, built on 2026-11-28 00:00 UTC`. Must start with 3.x.y (kazoo). */
  readonly version: string;
  readonly latencyMinMs: number;
  readonly latencyAvgMs: number;
  readonly latencyMaxMs: number;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  readonly connections: number;
  readonly outstanding: number;
  readonly lastZxid: bigint;
  readonly mode: ServerMode;
  readonly nodeCount: number;
  /** Leader only: last/min/max proposal size (-1 when none). */
  readonly proposalSizes?: { readonly last: number; readonly min: number; readonly max: number };
  /** True when serving read-only (adds ZooKeeper's READ-ONLY line). */
  readonly readOnly?: boolean;
}

export interface ConnectionInfo {
  /** Remote address and port as ZooKeeper prints it (`/127.0.0.1:58420`). */
  readonly remote: string;
  /** The interest-ops field in brackets (ZooKeeper prints 0 or 1). */
  readonly interestOps: number;
  readonly queued: number;
  readonly received: number;
  readonly sent: number;
  /** When the session is established (cons prints these). */
  readonly session?: {
    readonly sessionId: bigint;
    /** `NA` before the first reply. */
    readonly lastOp: string;
    /** Wall clock (ms since the epoch). */
    readonly establishedMs: number;
    readonly timeoutMs: number;
    /** -1 before the first reply (then not printed). */
    readonly lastCxid: number;
    readonly lastZxid: bigint;
    /** A monotonic clock's ms (ZooKeeper prints its elapsed-time clock here). */
    readonly lastResponseMs: number;
    readonly lastLatencyMs: number;
    readonly minLatencyMs: number;
    /** Whole ms (ZooKeeper divides longs). */
    readonly avgLatencyMs: number;
    readonly maxLatencyMs: number;
  };
}

/** ZooKeeper's short names of a connection's last operation (cons `lop=`, admin `last_operation`) by opcode. */
export const lastOpNames: ReadonlyMap<number, string> = new Map([
  [OpCode.ping, 'PING'],
  [OpCode.createSession, 'SESS'],
  [OpCode.multi, 'MULT'],
  [OpCode.multiRead, 'MLTR'],
  [OpCode.create, 'CREA'],
  [OpCode.create2, 'CREA'],
  [OpCode.createTTL, 'CREA'],
  [OpCode.createContainer, 'CREA'],
  [OpCode.delete, 'DELE'],
  [OpCode.deleteContainer, 'DELE'],
  [OpCode.setData, 'SETD'],
  [OpCode.reconfig, 'RECO'],
  [OpCode.setACL, 'SETA'],
  [OpCode.closeSession, 'CLOS'],
  [OpCode.sync, 'SYNC'],
  [OpCode.check, 'CHEC'],
  [OpCode.exists, 'EXIS'],
  [OpCode.getData, 'GETD'],
  [OpCode.setWatches, 'SETW'],
  [OpCode.setWatches2, 'STW2'],
  [OpCode.addWatch, 'ADDW'],
  [OpCode.getACL, 'GETA'],
  [OpCode.getChildren, 'GETC'],
  [OpCode.getChildren2, 'GETC'],
  [OpCode.checkWatches, 'CHKW'],
  [OpCode.removeWatches, 'REMW'],
  [OpCode.whoAmI, 'HOMI'],
  [OpCode.getEphemerals, 'GETE'],
  [OpCode.getAllChildrenNumber, 'GETACN'],
]);

/** Java's Double.toString for the values we print (latency averages): integers keep a `.0`. */
export function javaDouble(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** `0x` + lowercase hex of a signed 64-bit value as Java's Long.toHexString prints it (two's complement). */
export function javaHex(x: bigint): string {
  return '0x' + BigInt.asUintN(64, x).toString(16);
}

export const ruokReply = 'imok';
export const notServingReply = 'This ZooKeeper instance is not currently serving requests\n';
export function notWhitelistedReply(word: string): string {
  return `${word} is not executed because it is not in the whitelist.\n`;
}
export function isroReply(readOnly: boolean): string {
  return readOnly ? 'ro' : 'rw';
}

function statsBody(s: ServerStatsInfo): string {
  return (
    `Latency min/avg/max: ${s.latencyMinMs}/${javaDouble(s.latencyAvgMs)}/${s.latencyMaxMs}\n` +
    `Received: ${s.packetsReceived}\n` +
    `Sent: ${s.packetsSent}\n` +
    `Connections: ${s.connections}\n` +
    `Outstanding: ${s.outstanding}\n` +
    `Zxid: ${javaHex(s.lastZxid)}\n` +
    `Mode: ${s.mode}\n` +
    `Node count: ${s.nodeCount}\n` +
    (s.mode === 'leader' && s.proposalSizes
      ? `Proposal sizes last/min/max: ${s.proposalSizes.last}/${s.proposalSizes.min}/${s.proposalSizes.max}\n`
      : '')
  );
}

function versionLines(s: ServerStatsInfo): string {
  return `Zookeeper version: ${s.version}\n` + (s.readOnly ? 'READ-ONLY mode; serving only read-only clients\n' : '');
}

/** One connection line; brief (stat) or full (cons) when the session is known. */
export function connectionLine(c: ConnectionInfo, brief: boolean): string {
  let line = ` ${c.remote}[${c.interestOps.toString(16)}](queued=${c.queued},recved=${c.received},sent=${c.sent}`;
  const s = c.session;
  if (!brief && s) {
    line +=
      `,sid=${javaHex(s.sessionId)},lop=${s.lastOp},est=${s.establishedMs},to=${s.timeoutMs}` +
      (s.lastCxid >= 0 ? `,lcxid=${javaHex(BigInt(s.lastCxid))}` : '') +
      `,lzxid=${javaHex(s.lastZxid)},lresp=${s.lastResponseMs}` +
      `,llat=${s.lastLatencyMs},minlat=${s.minLatencyMs},avglat=${Math.trunc(s.avgLatencyMs)},maxlat=${s.maxLatencyMs}`;
  }
  return line + ')\n';
}

export function srvrReply(s: ServerStatsInfo): string {
  return versionLines(s) + statsBody(s);
}

export function statReply(s: ServerStatsInfo, connections: readonly ConnectionInfo[]): string {
  return versionLines(s) + 'Clients:\n' + connections.map((c) => connectionLine(c, true)).join('') + '\n' + statsBody(s);
}

export function consReply(connections: readonly ConnectionInfo[]): string {
  return connections.map((c) => connectionLine(c, false)).join('') + '\n';
}

/** mntr: `zk_<key>\t<value>` per line, in the given order (keys without the zk_ prefix get it added). */
export function mntrReply(entries: Iterable<readonly [string, string | number | bigint]>): string {
  let out = '';
  for (const [k, v] of entries) out += `${k.startsWith('zk_') ? k : `zk_${k}`}\t${v}\n`;
  return out;
}

/** conf: `key=value` per line, in the given order; `membership` lines may follow as plain entries. */
export function confReply(entries: Iterable<readonly [string, string | number | bigint]>): string {
  let out = '';
  for (const [k, v] of entries) out += `${k}=${v}\n`;
  return out;
}

/** envi: `Environment:` then `zookeeper.version=<version>` first (kazoo's server_version() parses it), then the rest. */
export function enviReply(version: string, entries: Iterable<readonly [string, string | number]> = []): string {
  let out = `Environment:\nzookeeper.version=${version}\n`;
  for (const [k, v] of entries) {
    if (k !== 'zookeeper.version') out += `${k}=${v}\n`;
  }
  return out;
}

export function wchsReply(connectionsWatching: number, paths: number, totalWatches: number): string {
  return `${connectionsWatching} connections watching ${paths} paths\nTotal watches:${totalWatches}\n`;
}

export function dirsReply(dataDirBytes: number | bigint, logDirBytes: number | bigint): string {
  return `datadir_size: ${dataDirBytes}\nlogdir_size: ${logDirBytes}\n`;
}

/** wchc (by session) / wchp (by path): a key line then tab-indented values, per group. */
export function watchListReply(groups: Iterable<readonly [string, readonly string[]]>): string {
  let out = '';
  for (const [k, vs] of groups) {
    out += `${k}\n`;
    for (const v of vs) out += `\t${v}\n`;
  }
  return out;
}

/** What `dump` prints: the session tracker (leader: expiry buckets; follower: the session table) and ephemerals. */
export interface DumpInfo {
  /** Leader: deadline (ms since the epoch) → sessions, ascending, and how many sessions it tracks. */
  readonly expiry?: { readonly buckets: readonly (readonly [number, readonly bigint[]])[]; readonly tracked: number };
  /** Follower: every session with its timeout (ms), ascending by id. */
  readonly sessions?: readonly (readonly [bigint, number])[];
  /** Sessions owning ephemeral nodes, with their paths. */
  readonly ephemerals: readonly (readonly [bigint, readonly string[]])[];
}

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Java's Date.toString in UTC: `Sat Nov 28 04:24:45 UTC 2026`. */
export function javaDate(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/**
 * dump, as ZooKeeper 3.8 prints it: the leader's `Session Sets (buckets)/(sessions):` with `N expire at <date>:`
 * groups, or a follower's `Global Sessions(N):` table; then `Sessions with Ephemerals (N):`. The connections part
 * is printed as by a server on the Netty connection factory (the header only).
 */
export function dumpReply(d: DumpInfo): string {
  let out = 'SessionTracker dump:\n';
  if (d.expiry !== undefined) {
    out += `Session Sets (${d.expiry.buckets.length})/(${d.expiry.tracked}):\n`;
    for (const [deadline, ids] of d.expiry.buckets) {
      out += `${ids.length} expire at ${javaDate(deadline)}:\n`;
      for (const id of ids) out += `\t${javaHex(id)}\n`;
    }
  } else {
    const sessions = d.sessions ?? [];
    out += `Global Sessions(${sessions.length}):\n`;
    for (const [id, timeoutMs] of sessions) out += `${javaHex(id)}\t${timeoutMs}ms\n`;
  }
  out += 'ephemeral nodes dump:\n';
  out += `Sessions with Ephemerals (${d.ephemerals.length}):\n`;
  for (const [id, paths] of d.ephemerals) {
    out += `${javaHex(id)}:\n`;
    for (const p of paths) out += `\t${p}\n`;
  }
  return out + 'Connections dump:\n';
}

export const crstReply = 'Connection stats reset.\n';
/** wchc: per session (`0x` + hex id) the paths it watches, then the empty line ZooKeeper's command prints last. */
export function wchcReply(bySession: Iterable<readonly [bigint, readonly string[]]>): string {
  const groups: [string, readonly string[]][] = [];
  for (const [id, paths] of bySession) groups.push([javaHex(id), paths]);
  return watchListReply(groups) + '\n';
}

/** wchp: per path the sessions (`0x` + hex id) watching it, then the empty line ZooKeeper's command prints last. */
export function wchpReply(byPath: Iterable<readonly [string, readonly bigint[]]>): string {
  const groups: [string, readonly string[]][] = [];
  for (const [path, ids] of byPath) groups.push([path, ids.map(javaHex)]);
  return watchListReply(groups) + '\n';
}
