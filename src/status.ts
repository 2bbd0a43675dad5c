/**
 * `conclave status`: the ensemble at a glance, from each member's client port with ZooKeeper's four-letter words
 * `srvr` and `mntr` — so it reads conclave members (`conclave start`, `conclave node`) and Apache ZooKeeper members
 * alike. Per member: mode, epoch, last zxid, lag behind the leader (txns), connections, outstanding requests,
 * latency, znodes, uptime and version; as a table, or `--json`; `--watch` refreshes it.
 */
import { connect } from 'node:net';

/** How long one member may take to answer a four-letter word. */
export const statusAskTimeoutMs = 3_000;
/** Bytes of one four-letter-word answer read at most (mntr of a large ZooKeeper is a few KB). */
export const statusReplyBytesMax = 256 * 1024;
/** `--watch`: the table is redrawn this often. */
export const statusWatchEveryMs = 2_000;
/** Members one call asks at most. */
export const statusMembersMax = 64;

export interface MemberStatus {
  readonly address: string;
  /** Why the member could not be read (then the other fields are absent). */
  readonly error?: string;
  readonly mode?: string;
  readonly version?: string;
  readonly zxid?: string;
  readonly epoch?: number;
  /** Txns behind the leader's last zxid (null: no leader answered, or another epoch). */
  readonly lagTxns?: number | null;
  readonly connections?: number;
  readonly outstanding?: number;
  readonly latencyMs?: { readonly min: number; readonly avg: number; readonly max: number };
  readonly znodes?: number;
  readonly uptimeMs?: number | null;
  /** The member's Eureka registry, when `--eureka` names its port (GET /eureka/v2/status). */
  readonly eureka?: EurekaStatus;
}

export type EurekaStatus =
  | { readonly instances: number; readonly selfPreservation: boolean; readonly renewsLastMinute: number; readonly renewsThreshold: number }
  | { readonly error: string };

/** Bytes of a Eureka status answer read at most. */
export const eurekaStatusBytesMax = 64 * 1024;

/** A member's Eureka registry from its status page (conclave's `/eureka/v2/status`, as Eureka's status JSON). */
export async function eurekaStatusAt(address: string, timeoutMs = statusAskTimeoutMs): Promise<EurekaStatus> {
  try {
    const { host, port } = parseAddress(address);
    const r = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/eureka/v2/status`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await r.text();
    if (r.status !== 200) return { error: `HTTP ${r.status}` };
    if (text.length > eurekaStatusBytesMax) return { error: `status over ${eurekaStatusBytesMax} bytes` };
    const a = (JSON.parse(text) as { applicationStats?: Record<string, unknown> }).applicationStats;
    if (a === undefined || typeof a['registered-instances'] !== 'number') return { error: 'not a Eureka status page' };
    return {
      instances: a['registered-instances'],
      selfPreservation: a.selfPreservation === true,
      renewsLastMinute: Number(a.numOfRenewsInLastMin ?? 0),
      renewsThreshold: Number(a.numOfRenewsPerMinThreshold ?? 0),
    };
  } catch (e) {
    // fetch's own error is 'fetch failed': the reason is its cause (ECONNREFUSED, or 'bad port' for fetch's blocked ports)
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? (e as Error).message };
  }
}

/** Sends a four-letter word and reads the answer until the member closes the connection. */
export function fourLetterWordAt(host: string, port: number, word: string, timeoutMs = statusAskTimeoutMs): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer to ${word} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('connect', () => s.write(word));
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes > statusReplyBytesMax) {
        s.destroy();
        clearTimeout(timer);
        reject(new Error(`${word} answer over ${statusReplyBytesMax} bytes`));
        return;
      }
      chunks.push(d);
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code ?? e.message));
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** `host:port` → parts (an IPv6 host in brackets). */
export function parseAddress(a: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(a) ?? /^([^:]+):(\d+)$/.exec(a);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65_535) throw new Error(`'${a}' is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

const field = (text: string, name: string): string | undefined => {
  const m = new RegExp(`^${name}: (.*)$`, 'm').exec(text);
  return m?.[1]?.trim();
};

/** One member from its `srvr` and `mntr` answers (lag is filled in across members). */
export function memberFromWords(address: string, srvr: string, mntr: string): MemberStatus {
  if (!/^Zookeeper version:/m.test(srvr)) return { address, error: srvr.trim().split('\n')[0] || 'no srvr answer' };
  const zxid = field(srvr, 'Zxid') ?? '0x0';
  const lat = (field(srvr, 'Latency min/avg/max') ?? '0/0/0').split('/').map(Number);
  const uptime = /^zk_uptime\t(\d+)$/m.exec(mntr);
  return {
    address,
    mode: field(srvr, 'Mode') ?? '?',
    version: (field(srvr, 'Zookeeper version') ?? '?').split(/[-,]/)[0]!,
    zxid,
    epoch: Number(BigInt(zxid) >> 32n),
    connections: Number(field(srvr, 'Connections') ?? 0),
    outstanding: Number(field(srvr, 'Outstanding') ?? 0),
    latencyMs: { min: lat[0] ?? 0, avg: lat[1] ?? 0, max: lat[2] ?? 0 },
    znodes: Number(field(srvr, 'Node count') ?? 0),
    uptimeMs: uptime === null ? null : Number(uptime[1]),
  };
}

/**
 * Reads every member (in parallel) and fills in each one's lag behind the leader; `eureka[i]`, when given, is member
 * i's Eureka port.
 */
export async function collectStatus(addresses: readonly string[], eureka: readonly string[] = []): Promise<MemberStatus[]> {
  if (addresses.length > statusMembersMax) throw new Error(`at most ${statusMembersMax} members, got ${addresses.length}`);
  const rows = await Promise.all(
    addresses.map(async (address, i): Promise<MemberStatus> => {
      const registry = eureka[i] === undefined ? undefined : eurekaStatusAt(eureka[i]!);
      let row: MemberStatus;
      try {
        const { host, port } = parseAddress(address);
        const srvr = await fourLetterWordAt(host, port, 'srvr');
        const mntr = /^Zookeeper version:/m.test(srvr) ? await fourLetterWordAt(host, port, 'mntr').catch(() => '') : '';
        row = memberFromWords(address, srvr, mntr);
      } catch (e) {
        row = { address, error: (e as Error).message };
      }
      return registry === undefined ? row : { ...row, eureka: await registry };
    }),
  );
  const leader = rows.find((r) => r.mode === 'leader' || r.mode === 'standalone');
  return rows.map((r) => {
    if (r.zxid === undefined) return r;
    if (leader?.zxid === undefined) return { ...r, lagTxns: null };
    const l = BigInt(leader.zxid);
    const z = BigInt(r.zxid);
    return { ...r, lagTxns: l >> 32n === z >> 32n ? Math.max(0, Number((l & 0xffffffffn) - (z & 0xffffffffn))) : null };
  });
}

const duration = (ms: number | null | undefined): string => {
  if (ms == null) return '-';
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${s % 60}s` : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
};

/** The rows as a plain-text table. */
export function statusTable(rows: readonly MemberStatus[]): string {
  const withEureka = rows.some((r) => r.eureka !== undefined);
  const head = ['member', 'mode', 'epoch', 'zxid', 'lag', 'clients', 'outstanding', 'latency min/avg/max ms', 'znodes', 'uptime', 'version', ...(withEureka ? ['eureka instances', 'self-preservation'] : [])];
  const eurekaCells = (r: MemberStatus): string[] => {
    if (!withEureka) return [];
    const e = r.eureka;
    if (e === undefined) return ['-', '-'];
    if ('error' in e) return [`unreachable: ${e.error}`, ''];
    return [String(e.instances), `${e.selfPreservation ? 'ON' : 'off'} (${e.renewsLastMinute}/${e.renewsThreshold} renewals)`];
  };
  const body = rows.map((r) =>
    r.error !== undefined
      ? [r.address, `unreachable: ${r.error}`, '', '', '', '', '', '', '', '', '', ...eurekaCells(r)]
      : [
          r.address,
          r.mode!,
          String(r.epoch),
          r.zxid!,
          r.lagTxns == null ? '-' : String(r.lagTxns),
          String(r.connections),
          String(r.outstanding),
          `${r.latencyMs!.min}/${r.latencyMs!.avg}/${r.latencyMs!.max}`,
          String(r.znodes),
          duration(r.uptimeMs),
          r.version!,
          ...eurekaCells(r),
        ],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

export interface StatusFlags {
  readonly connect: string;
  /** Each member's Eureka port, host:port in the order of `connect`. */
  readonly eureka?: string;
  readonly json?: boolean;
  readonly watch?: boolean;
}

/** The command: prints once (exit 1 when no member answered), or redraws until interrupted with `--watch`. */
export async function runStatus(flags: StatusFlags): Promise<number> {
  const addresses = flags.connect.split(',').map((a) => a.trim()).filter((a) => a !== '');
  const eureka = (flags.eureka ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '');
  for (const a of [...addresses, ...eureka]) parseAddress(a);
  if (eureka.length > addresses.length) throw new Error(`--eureka names ${eureka.length} ports for ${addresses.length} members`);
  const once = async (): Promise<MemberStatus[]> => {
    const rows = await collectStatus(addresses, eureka);
    const text = flags.json === true ? `${JSON.stringify(rows)}\n` : statusTable(rows);
    process.stdout.write(flags.watch === true && flags.json !== true ? `\x1b[2J\x1b[H${new Date().toISOString()}\n${text}` : text);
    return rows;
  };
  if (flags.watch !== true) return (await once()).some((r) => r.error === undefined) ? 0 : 1;
  for (;;) {
    await once();
    await new Promise((r) => setTimeout(r, statusWatchEveryMs));
  }
}
