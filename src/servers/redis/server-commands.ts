/**
 * The server commands a RESP front end answers for its node: INFO (with a `consensus` section), TIME, LASTSAVE,
 * SAVE/BGSAVE (a storage snapshot), DEBUG (SLEEP), MONITOR, SLOWLOG, LATENCY, WAIT, CONFIG RESETSTAT/REWRITE,
 * CLIENT PAUSE/UNPAUSE, and the node counters behind them. Everything here is node-local, as in Redis Cluster.
 * See ../../../docs/resp.md.
 */
import { cpuUsage, memoryUsage } from 'node:process';
import type { Argv, Reply } from '../../protocol/resp.js';
import type { RespVersion } from '../../wire/resp/index.js';

/** SLOWLOG entries kept at most whatever slowlog-max-len says (a bound on the setting). */
export const slowlogEntriesMax = 100_000;
/** Arguments of one SLOWLOG entry (Redis's SLOWLOG_ENTRY_MAX_ARGC) and bytes of one (SLOWLOG_ENTRY_MAX_STRING). */
export const slowlogArgsMax = 32;
export const slowlogArgBytesMax = 128;
/** DEBUG SLEEP's longest sleep. */
export const debugSleepMsMax = 60_000;

/** What the front end asks its node (the consensus section, WAIT, SAVE, INFO keyspace). */
export interface RedisNodeService {
  status(): Promise<NodeStatus>;
  /** INFO's `# Keyspace` lines. */
  keyspaceInfo(): Promise<string>;
  /** Start a snapshot of the node's state (SAVE / BGSAVE). */
  snapshot(): void;
}

export interface NodeStatus {
  readonly role: 'leading' | 'following' | 'looking';
  readonly leader: string | null;
  readonly epoch: number;
  readonly lastZxid: number;
  readonly members: readonly string[];
  readonly voters: readonly string[];
  readonly expiredKeys: number;
}

/** A command's slow log entry. */
interface SlowEntry {
  readonly id: number;
  readonly timeSec: number;
  readonly durationUs: number;
  readonly argv: readonly Uint8Array[];
  readonly addr: string;
  readonly name: string;
}

/** The node's counters and logs (one per listener). */
export class ServerStats {
  readonly startedMs = Date.now();
  connectionsReceived = 0;
  rejectedConnections = 0;
  commandsProcessed = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  lastSaveMs = Date.now();
  private slow: SlowEntry[] = [];
  private nextSlowId = 0;
  /** Until when and for which commands CLIENT PAUSE holds the node's commands. */
  pause: { untilMs: number; all: boolean } | null = null;
  /** MONITOR connections. */
  readonly monitors = new Set<MonitorTarget>();

  resetStat(): void {
    this.connectionsReceived = 0;
    this.rejectedConnections = 0;
    this.commandsProcessed = 0;
    this.netInputBytes = 0;
    this.netOutputBytes = 0;
  }

  /** A command took `durationUs` from its read to its reply. */
  logSlow(durationUs: number, argv: Argv, addr: string, name: string, thresholdUs: number, maxLen: number): void {
    if (thresholdUs < 0 || durationUs < thresholdUs) return;
    const args = argv.length > slowlogArgsMax ? [...argv.slice(0, slowlogArgsMax - 1), Buffer.from(`... (${argv.length - slowlogArgsMax + 1} more arguments)`)] : [...argv];
    const trimmed = args.map((a) => (a.length > slowlogArgBytesMax ? Buffer.concat([a.subarray(0, slowlogArgBytesMax), Buffer.from(`... (${a.length - slowlogArgBytesMax} more bytes)`)]) : a));
    this.slow.unshift({ id: this.nextSlowId++, timeSec: Math.floor(Date.now() / 1000), durationUs: Math.round(durationUs), argv: trimmed, addr, name });
    const keep = Math.min(Math.max(0, maxLen), slowlogEntriesMax);
    if (this.slow.length > keep) this.slow.length = keep;
  }

  slowlog(sub: string, argv: Argv): Reply {
    switch (sub) {
      case 'get': {
        let count = 10;
        if (argv.length === 3) {
          const n = intArg(argv[2]!);
          if (n === null || n < -1) return err('ERR count should be greater than or equal to -1');
          count = n === -1 ? this.slow.length : n;
        } else if (argv.length > 3) return err(`ERR unknown subcommand or wrong number of arguments for '${str(argv[1]!)}'. Try SLOWLOG HELP.`);
        return {
          kind: 'Array',
          items: this.slow.slice(0, count).map((e) => ({
            kind: 'Array',
            items: [int(e.id), int(e.timeSec), int(e.durationUs), { kind: 'Array', items: e.argv.map((a) => ({ kind: 'Bulk', bytes: a }) as Reply) }, bulk(e.addr), bulk(e.name)],
          })),
        };
      }
      case 'len':
        return int(this.slow.length);
      case 'reset':
        this.slow = [];
        return ok;
      default:
        return helpReply([
          'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
          'GET [<count>]',
          '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
          '    Entries are made of:',
          '    id, timestamp, time in microseconds, arguments array, client IP and port,',
          '    client name',
          'LEN',
          '    Return the length of the slowlog.',
          'RESET',
          '    Reset the slowlog.',
          'HELP',
          '    Prints this help.',
        ]);
    }
  }
}

/** A connection that asked for MONITOR. */
export interface MonitorTarget {
  push(r: Reply): void;
}

const ok: Reply = { kind: 'Simple', text: 'OK' };
const err = (text: string): Reply => ({ kind: 'Error', text });
const int = (value: number): Reply => ({ kind: 'Int', value });
const bulk = (s: string | Uint8Array): Reply => ({ kind: 'Bulk', bytes: typeof s === 'string' ? Buffer.from(s) : s });
const helpReply = (lines: readonly string[]): Reply => ({ kind: 'Array', items: lines.map((text) => ({ kind: 'Simple', text }) as Reply) });
const str = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

/** Redis's string2ll as a safe integer, or null. */
function intArg(b: Uint8Array): number | null {
  const s = str(b);
  if (!/^(0|-?[1-9]\d{0,18})$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** One MONITOR line's argument as Redis's sdscatrepr writes it. */
function repr(b: Uint8Array): string {
  let out = '"';
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x22) out += '\\"';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out + '"';
}

/** Feeds a command to the MONITOR connections (commands with the `admin` flag are not shown, as Redis). */
export function feedMonitors(stats: ServerStats, db: number, addr: string, argv: Argv, name: string, flags: readonly string[]): void {
  if (stats.monitors.size === 0 || flags.includes('admin')) return;
  const now = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
  const redacted = name === 'auth' || name === 'hello' || name === 'migrate';
  const args = argv.map((a, i) => (redacted && i > 0 ? '"(redacted)"' : repr(a))).join(' ');
  const line: Reply = { kind: 'Simple', text: `${Math.floor(now / 1e6)}.${String(now % 1e6).padStart(6, '0')} [${db} ${addr}] ${args}` };
  for (const m of stats.monitors) m.push(line);
}

/** How long CLIENT PAUSE still holds a command with these flags (0: not held). */
export function pausedForMs(stats: ServerStats, flags: readonly string[]): number {
  const p = stats.pause;
  if (p === null) return 0;
  const left = p.untilMs - Date.now();
  if (left <= 0) {
    stats.pause = null;
    return 0;
  }
  return p.all || flags.includes('write') ? left : 0;
}

/** What the server commands need from the connection and its server. */
export interface ServerCommandContext {
  readonly id: number;
  readonly db: number;
  readonly resp: RespVersion;
  readonly stats: ServerStats;
  readonly node?: RedisNodeService;
  readonly version: string;
  readonly port: string;
  readonly connectedClients: number;
  readonly blockedClients: number;
  /** Connections with CLIENT TRACKING on (INFO's tracking_clients). */
  readonly trackingClients: number;
  readonly maxClients: number;
  readonly role: 'master' | 'replica';
  readonly pubsubCounts: () => { channels: number; patterns: number };
  readonly config: { slowlogLogSlowerThan: number; slowlogMaxLen: number };
  /** This connection becomes a MONITOR. */
  monitor(): void;
}

const infoSectionsDefault = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'keyspace', 'consensus'];
const runId = Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

/** INFO [section ...]: Redis 7.0's sections this node can tell, and `# Consensus`. */
export async function info(c: ServerCommandContext, wanted: readonly string[]): Promise<string> {
  const all = wanted.length === 0 || wanted.some((w) => w === 'all' || w === 'everything' || w === 'default');
  const want = (s: string): boolean => (all && infoSectionsDefault.includes(s)) || wanted.includes(s);
  const [status, keyspace] = await Promise.all([
    (want('consensus') || want('stats')) && c.node !== undefined ? c.node.status().catch(() => null) : null,
    want('keyspace') && c.node !== undefined ? c.node.keyspaceInfo().catch(() => '') : '',
  ]);
  const uptimeSec = Math.floor((Date.now() - c.stats.startedMs) / 1000);
  const mem = memoryUsage();
  const cpu = cpuUsage();
  const human = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)}M` : n >= 1024 ? `${(n / 1024).toFixed(2)}K` : `${n}B`);
  const ps = c.pubsubCounts();
  const sections: [string, [string, string | number][]][] = [
    [
      'Server',
      [
        ['redis_version', c.version],
        ['redis_mode', 'standalone'],
        ['os', `${process.platform} ${process.arch}`],
        ['arch_bits', 64],
        ['process_id', process.pid],
        ['run_id', runId],
        ['tcp_port', c.port],
        ['server_time_usec', Date.now() * 1000],
        ['uptime_in_seconds', uptimeSec],
        ['uptime_in_days', Math.floor(uptimeSec / 86_400)],
        ['hz', 10],
        ['executable', process.argv[1] ?? ''],
        ['config_file', ''],
      ],
    ],
    ['Clients', [['connected_clients', c.connectedClients], ['maxclients', c.maxClients], ['blocked_clients', c.blockedClients], ['tracking_clients', c.trackingClients]]],
    [
      'Memory',
      [
        ['used_memory', mem.heapUsed + mem.external],
        ['used_memory_human', human(mem.heapUsed + mem.external)],
        ['used_memory_rss', mem.rss],
        ['used_memory_rss_human', human(mem.rss)],
        ['maxmemory', 0],
        ['maxmemory_human', '0B'],
        ['maxmemory_policy', 'noeviction'],
        ['mem_allocator', 'v8'],
      ],
    ],
    [
      'Persistence',
      [
        ['loading', 0],
        ['async_loading', 0],
        ['rdb_bgsave_in_progress', 0],
        ['rdb_last_save_time', Math.floor(c.stats.lastSaveMs / 1000)],
        ['rdb_last_bgsave_status', 'ok'],
        ['aof_enabled', 0],
        ['aof_rewrite_in_progress', 0],
      ],
    ],
    [
      'Stats',
      [
        ['total_connections_received', c.stats.connectionsReceived],
        ['total_commands_processed', c.stats.commandsProcessed],
        ['total_net_input_bytes', c.stats.netInputBytes],
        ['total_net_output_bytes', c.stats.netOutputBytes],
        ['rejected_connections', c.stats.rejectedConnections],
        ['expired_keys', status?.expiredKeys ?? 0],
        ['evicted_keys', 0],
        ['pubsub_channels', ps.channels],
        ['pubsub_patterns', ps.patterns],
        ['total_forks', 0],
      ],
    ],
    ['Replication', [['role', c.role === 'master' ? 'master' : 'slave'], ['connected_slaves', 0]]],
    [
      'CPU',
      [
        ['used_cpu_sys', (cpu.system / 1e6).toFixed(6)],
        ['used_cpu_user', (cpu.user / 1e6).toFixed(6)],
        ['used_cpu_sys_children', '0.000000'],
        ['used_cpu_user_children', '0.000000'],
      ],
    ],
    [
      'Consensus',
      status === null
        ? [['role', 'unknown']]
        : [
            ['role', status.role],
            ['epoch', status.epoch],
            ['last_zxid', `0x${status.lastZxid.toString(16)}`],
            ['leader', status.leader ?? ''],
            ['members', status.members.join(',')],
            ['voters', status.voters.join(',')],
          ],
    ],
  ];
  const parts = sections.filter(([name]) => want(name.toLowerCase())).map(([name, fields]) => `# ${name}\r\n${fields.map(([k, v]) => `${k}:${v}\r\n`).join('')}`);
  if (want('keyspace')) parts.push(`# Keyspace\r\n${keyspace}`);
  return parts.join('\r\n');
}

/**
 * The server commands (`name` as the command table spells it: `slowlog|get`), or undefined for a name that is
 * not one of them.
 */
export function serverCommand(c: ServerCommandContext, name: string, argv: Argv): Reply | Promise<Reply> | undefined {
  switch (name) {
    case 'info':
      return info(
        c,
        argv.slice(1).map((a) => str(a).toLowerCase()),
      ).then((text) => ({ kind: 'Verbatim', format: 'txt', text }));
    case 'time': {
      const us = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
      return { kind: 'Array', items: [bulk(String(Math.floor(us / 1e6))), bulk(String(us % 1e6))] };
    }
    case 'lastsave':
      return int(Math.floor(c.stats.lastSaveMs / 1000));
    case 'save':
    case 'bgsave': {
      if (name === 'bgsave' && argv.length > 1 && (argv.length > 2 || str(argv[1]!).toUpperCase() !== 'SCHEDULE')) return err('ERR syntax error');
      c.node?.snapshot();
      c.stats.lastSaveMs = Date.now();
      return name === 'save' ? ok : { kind: 'Simple', text: 'Background saving started' };
    }
    case 'debug':
      return debug(argv);
    case 'monitor':
      c.monitor();
      return ok;
    case 'wait':
      return wait(c, argv);
    case 'config|resetstat':
      c.stats.resetStat();
      return ok;
    case 'config|rewrite':
      return err('ERR The server is running without a config file');
    case 'client|pause': {
      const ms = intArg(argv[2]!);
      if (ms === null) return err('ERR timeout is not an integer or out of range');
      if (ms < 0) return err('ERR timeout is negative');
      let all = true;
      if (argv.length === 4) {
        const mode = str(argv[3]!).toUpperCase();
        if (mode === 'WRITE') all = false;
        else if (mode !== 'ALL') return err('ERR CLIENT PAUSE mode must be WRITE or ALL');
      } else if (argv.length > 4) return err('ERR syntax error');
      c.stats.pause = { untilMs: Date.now() + ms, all };
      return ok;
    }
    case 'client|unpause':
      c.stats.pause = null;
      return ok;
    case 'latency|latest':
    case 'latency|history':
      return { kind: 'Array', items: [] };
    case 'latency|reset':
      return int(0);
    case 'latency|doctor':
      return { kind: 'Verbatim', format: 'txt', text: 'No latency events recorded: conclave does not sample latency events (latency-monitor-threshold is accepted and ignored). SLOWLOG shows the slow commands.\n' };
    case 'latency|help':
      return helpReply([
        'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
        'DOCTOR',
        '    Return a human readable latency analysis report.',
        'HISTORY <event>',
        '    Return time-latency samples for the <event> class.',
        'LATEST',
        '    Return the latest latency samples for all events.',
        'RESET [<event> ...]',
        '    Reset latency data of one or more <event> classes.',
        '    (default: reset all data for all event classes)',
        'HELP',
        '    Prints this help.',
      ]);
    default:
      if (name.startsWith('slowlog|')) return c.stats.slowlog(name.slice(8), argv);
      return undefined;
  }
}

function debug(argv: Argv): Reply | Promise<Reply> {
  const sub = str(argv[1]!).toUpperCase();
  if (sub === 'SLEEP' && argv.length === 3) {
    const secs = Number(str(argv[2]!));
    if (!Number.isFinite(secs)) return err('ERR value is not a valid float');
    const ms = Math.min(Math.max(0, secs * 1000), debugSleepMsMax);
    return new Promise((r) => setTimeout(() => r(ok), ms));
  }
  if (sub === 'HELP') return helpReply(['DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'SLEEP <seconds>', '    Delay this connection for <seconds> (a float; at most 60).', 'HELP', '    Prints this help.']);
  return err(`ERR DEBUG ${str(argv[1]!)} is not supported by conclave (only DEBUG SLEEP and DEBUG HELP)`);
}

/**
 * WAIT numreplicas timeout: every write this node acknowledged was committed by a quorum of voters first, so at
 * least quorum − 1 other voters have it; that is the answer (at once when it is enough, else after the timeout, or
 * at once for timeout 0, which would block forever).
 */
function wait(c: ServerCommandContext, argv: Argv): Reply | Promise<Reply> {
  const want = intArg(argv[1]!);
  if (want === null) return err('ERR value is not an integer or out of range');
  const timeout = intArg(argv[2]!);
  if (timeout === null) return err('ERR timeout is not an integer or out of range');
  if (timeout < 0) return err('ERR timeout is negative');
  const have = async (): Promise<number> => {
    const s = await c.node?.status().catch(() => null);
    return s == null ? 0 : Math.floor(s.voters.length / 2);
  };
  return have().then(async (n) => {
    if (n < want && timeout > 0) await new Promise((r) => setTimeout(r, timeout));
    return int(n);
  });
}
