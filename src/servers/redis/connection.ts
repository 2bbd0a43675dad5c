/**
 * One RESP client connection: the decoder, the per-connection state (protocol, db, name, authentication, reply
 * mode) and the ordered reply queue; independent of sockets (a {@link RedisTransport}) and of the keyspace (a
 * {@link RedisBackend}).
 *
 * - Commands are pulled from the decoder one at a time and checked against the command table as Redis 7.0's
 *   processCommand does: QUIT first (any arguments: +OK, then close), unknown command / unknown subcommand /
 *   wrong arity, then NOAUTH, then the ACL check (NOPERM, acl.ts). Connection commands run here; the others go to
 *   the backend. AUTH, HELLO AUTH, ACL SETUSER/DELUSER and a connection's first command wait for the ACL state
 *   (acl.ts); the commands after them are not dispatched until then.
 * - Every command gets a reply slot in arrival order; replies are written strictly in that order however the
 *   backend's promises settle, each encoded in the protocol the connection had when the command was read.
 * - Replies produced while handling one chunk leave in one transport write; replies settling later are gathered
 *   per event-loop turn.
 * - A protocol error is answered after the replies before it, then the connection closes.
 * - Bounds: the query buffer (client-query-buffer-limit: closed without a reply, as Redis), replies in flight
 *   ({@link pendingRepliesMax}: reading stops until half are written), unsent output (reading stops above
 *   {@link outboundBytesPauseMax}, resumes below half; client-output-buffer-limit closes the connection).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import type { ReadyKey } from '../../protocol/keyspace.js';
import { RespRequestDecoder, RespWriter, type RespVersion } from '../../wire/resp/index.js';
import { arityOk, keysOf, lookupCommand, type CommandTable, type RedisCommandSpec } from './commands.js';
import { databasesCount, type RedisConfig } from './config.js';
import { encodingConfigError, isEncodingParam, matchesEncodingParam } from '../../core/keyspace/encoding.js';
import { feedMonitors, pausedForMs, serverCommand, type RedisNodeService, type ServerCommandContext, type ServerStats } from './server-commands.js';
import { pubsubIntrospection, subscribeCommand, subscribedModeCommands, subscribedModeError, Subscriptions, type PubsubService } from './pubsub.js';
import type { AclClient, RedisAcl } from './acl.js';
import type { TrackingTable } from './tracking.js';

/** Replies in flight or waiting for an earlier one before the connection stops reading. */
export const pendingRepliesMax = 1024;
/** Unsent output bytes above which the connection stops reading (back-pressure for clients that do not read). */
export const outboundBytesPauseMax = 1024 * 1024;
/** Bytes of one argument quoted in an error (Redis's `%.128s`). */
export const quotedArgBytesMax = 128;

/** What the connection needs from a socket. */
export interface RedisTransport {
  write(bytes: Uint8Array): void;
  /** Close once everything written has been sent. */
  close(): void;
  /** Close now, dropping unsent output. */
  destroy(): void;
  pause(): void;
  resume(): void;
  /** Bytes written but not yet sent. */
  outboundBytes(): number;
  /** `ip:port` of the client and of our end. */
  readonly remote: string;
  readonly local: string;
}

/** The connection as the backend sees it; read it during `execute` (later commands change it). */
export interface RedisClientContext {
  readonly id: number;
  readonly db: number;
  readonly resp: RespVersion;
  readonly name: string;
  readonly user: string;
}

/** The keyspace side: every command of the table that is not a connection command. */
export interface RedisBackend {
  /** Runs a command already checked for existence, arity and authentication. Sync for local reads. */
  execute(client: RedisClientContext, argv: Argv, spec: RedisCommandSpec): Reply | Promise<Reply>;
  /** The front end refused a command (unknown, wrong arity): inside MULTI, EXEC must then abort (EXECABORT). */
  refused?(client: RedisClientContext): void;
  /** The connection's state was dropped (RESET) or it closed: forget its MULTI queue, watches, subscriptions. */
  release?(client: RedisClientContext, why: 'reset' | 'closed'): void;
  /** Blocking commands (blocking.ts): keys made ready on the node, the node forgot the watched keys. */
  keysReady?(keys: readonly ReadyKey[]): void;
  keysLost?(): void;
  /** CLIENT UNBLOCK: whether the client was blocked (it is answered as timed out or with the UNBLOCKED error). */
  unblock?(id: number, error: boolean): boolean;
  /** Clients blocked now (INFO's blocked_clients), and whether one is (CLIENT LIST's `b` flag). */
  blockedClients?(): number;
  isBlocked?(id: number): boolean;
}

/** What every connection of one server shares. */
export interface RedisServerContext {
  readonly config: RedisConfig;
  readonly table: CommandTable;
  /** Who may connect and run what (AUTH, NOPERM, the ACL command). */
  readonly acl: RedisAcl;
  readonly backend: RedisBackend;
  readonly clients: Map<number, RedisConnection>;
  /** HELLO's server and version (clients need `redis` and a 7.x version). */
  readonly serverName: string;
  readonly version: string;
  readonly role: () => 'master' | 'replica';
  /** Told of connections closed for a limit (for the node's log). */
  readonly log?: (line: string) => void;
  /** Told of every keyspace command answered: its name and latency (ms). */
  readonly onCommand?: (name: string, latencyMs: number) => void;
  /** Pub/sub (SUBSCRIBE and the rest answer an error without it). */
  readonly pubsub?: PubsubService;
  /** The node behind the front end (INFO consensus and keyspace, WAIT, SAVE); absent: those parts are empty. */
  readonly node?: RedisNodeService;
  /** Counters, slow log, MONITORs, CLIENT PAUSE. */
  readonly stats: ServerStats;
  /** Client-side caching (CLIENT TRACKING). */
  readonly tracking: TrackingTable;
}

interface Slot {
  /** Several frames for one command: (P|S)(UN)SUBSCRIBE's confirmations. */
  reply: Reply | readonly Reply[] | undefined;
  readonly resp: RespVersion;
  readonly silent: boolean;
}

const ok: Reply = { kind: 'Simple', text: 'OK' };
const err = (text: string): Reply => ({ kind: 'Error', text });
const bulk = (s: string | Uint8Array): Reply => ({ kind: 'Bulk', bytes: typeof s === 'string' ? Buffer.from(s) : s });
const int = (value: number): Reply => ({ kind: 'Int', value });
const syntaxError = err('ERR syntax error');
const str = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
const upper = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1').toUpperCase();

/** An argument as Redis's `%.128s` prints it: up to the first NUL, at most 128 bytes. */
function quoted(b: Uint8Array, max = quotedArgBytesMax): string {
  const nul = b.indexOf(0);
  const end = Math.min(nul < 0 ? b.length : nul, max);
  return str(b.subarray(0, end));
}

/** The error for a command not in the table (Redis's text, trailing space included). */
export function unknownCommandError(argv: Argv): Reply {
  let args = '';
  for (let i = 1; i < argv.length && Buffer.byteLength(args) < quotedArgBytesMax; i++) args += `'${quoted(argv[i]!, quotedArgBytesMax - Buffer.byteLength(args))}' `;
  return err(`ERR unknown command '${quoted(argv[0]!)}', with args beginning with: ${args}`);
}

/** Redis's string2ll on a whole argument, as a safe integer, or null. */
function intArg(b: Uint8Array): number | null {
  const s = Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  if (!/^(0|-?[1-9]\d{0,18})$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** QUIT in any case (checked before the table, as Redis 7.0). */
const isQuit = (b: Uint8Array): boolean => b.length === 4 && (b[0]! | 0x20) === 0x71 && (b[1]! | 0x20) === 0x75 && (b[2]! | 0x20) === 0x69 && (b[3]! | 0x20) === 0x74;

/** A name CLIENT SETNAME / HELLO SETNAME / SETINFO accept: printable ASCII without spaces. */
const validName = (b: Uint8Array): boolean => b.every((c) => c >= 33 && c <= 126);

export class RedisConnection implements RedisClientContext, AclClient {
  readonly id: number;
  db = 0;
  resp: RespVersion = 2;
  name = '';
  user = 'default';
  libName = '';
  libVer = '';
  authenticated: boolean;
  /** Inside MULTI (ACL LOG's context). */
  inMulti = false;
  /** AUTH / HELLO AUTH waiting for the ACL state to catch up, or ACL SETUSER / DELUSER to apply: nothing else is dispatched meanwhile. */
  private aclPending: Promise<void> | null = null;
  /** The ACL state just caught up for the command being dispatched again. */
  private aclFresh = false;
  noEvict = false;
  noTouch = false;
  lastCommand = 'NULL';
  /** Reads sent and not yet answered, and the point later commands wait for once one had to wait. */
  private readonly readsInFlight = new Set<Promise<Reply>>();
  private gate: Promise<void> | null = null;
  /** Blocking commands not yet answered; a close while one is pending drops the commands queued behind it. */
  private blockingPending = 0;
  private dropQueued = false;
  /** Channels, patterns and shard channels this connection subscribed to. */
  readonly subs = new Subscriptions();
  readonly createdMs = Date.now();
  lastActiveMs = Date.now();
  /** CLIENT REPLY OFF: no replies until ON; SKIP: the next command's reply is dropped. */
  private repliesOff = false;
  private skipNext = false;
  private readonly decoder: RespRequestDecoder;
  private readonly writer = new RespWriter();
  private readonly slots: Slot[] = [];
  private closing = false;
  private closed = false;
  private readPaused = false;
  private flushScheduled = false;
  private softExceededSinceMs = 0;

  constructor(
    readonly transport: RedisTransport,
    private readonly server: RedisServerContext,
    id: number,
  ) {
    this.id = id;
    // before the front end has read the node's users, nobody counts as authenticated (NOAUTH is decided later)
    this.authenticated = server.acl.synced && !server.acl.required();
    this.decoder = new RespRequestDecoder({ protoMaxBulkLen: () => server.config.values.protoMaxBulkLen });
  }

  /** Bytes received and not yet parsed (CLIENT INFO qbuf). */
  get queryBufferBytes(): number {
    return this.decoder.bufferedBytes;
  }

  onData(chunk: Uint8Array): void {
    if (this.closing) return;
    this.lastActiveMs = Date.now();
    this.server.stats.netInputBytes += chunk.length;
    this.decoder.push(chunk);
    this.pump();
    if (!this.closing && this.decoder.bufferedBytes > this.server.config.values.clientQueryBufferLimit) {
      this.server.log?.(`Closing client that reached max query buffer length: id=${this.id} addr=${this.transport.remote}`);
      this.kill();
    }
  }

  onDrain(): void {
    if (this.readPaused && this.transport.outboundBytes() <= outboundBytesPauseMax / 2 && this.slots.length <= pendingRepliesMax / 2) {
      this.readPaused = false;
      this.transport.resume();
      this.pump();
    }
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    if (this.blockingPending > 0) this.dropQueued = true; // Redis frees a blocked client with what it had not run
    this.server.clients.delete(this.id);
    this.server.stats.monitors.delete(this);
    this.dropSubscriptions();
    this.server.tracking.off(this.id);
    this.server.backend.release?.(this, 'closed');
  }

  /** Closes at once (CLIENT KILL, limits, server stop). */
  kill(): void {
    this.closing = true;
    this.transport.destroy();
    this.onClose();
  }

  private pump(): void {
    while (!this.closing && this.aclPending === null && this.slots.length < pendingRepliesMax) {
      this.decoder.authRequired = this.needsAuth();
      const d = this.decoder.next();
      if (d === undefined) break;
      if (d.kind === 'error') {
        this.enqueue(err(d.text), false);
        this.closing = true;
        break;
      }
      this.dispatch(d.argv);
    }
    if (!this.readPaused && !this.closing && this.slots.length >= pendingRepliesMax) this.pauseReading();
    this.flush();
  }

  private pauseReading(): void {
    this.readPaused = true;
    this.transport.pause();
  }

  /** AUTH, or HELLO with AUTH: the user may have been created through another node. */
  private authenticates(argv: Argv): boolean {
    const n = argv[0]!.length;
    if (n !== 4 && n !== 5) return false; // no name to read on the hot path
    const name = upper(argv[0]!);
    return name === 'AUTH' || (name === 'HELLO' && argv.slice(2).some((a) => upper(a) === 'AUTH'));
  }

  /** The user was deleted (ACL DELUSER): close, after the reply being made when it is this connection's. */
  userDeleted(current: boolean): void {
    if (current) this.closing = true;
    else this.kill();
  }

  /** Commands other than AUTH, HELLO, QUIT, RESET get NOAUTH (Redis's authRequired: the default user's state now). */
  private needsAuth(): boolean {
    return !this.authenticated && this.server.acl.required();
  }

  private dispatch(argv: Argv): void {
    const acl = this.server.acl;
    const wait = this.aclFresh ? null : !acl.synced ? acl.sync() : acl.replicated && this.authenticates(argv) ? acl.caughtUp() : null;
    if (wait !== null) {
      // dispatched again once this node's copy of the users has caught up; later commands wait for it
      this.aclPending = wait
        .catch(() => undefined)
        .then(() => {
          this.aclPending = null;
          if (this.closed) return;
          this.aclFresh = true;
          this.dispatch(argv);
          this.aclFresh = false;
          this.pump();
        });
      return;
    }
    const skipped = this.skipNext;
    this.skipNext = false;
    const silent = skipped || this.repliesOff;
    if (isQuit(argv[0]!)) {
      this.lastCommand = 'quit';
      this.enqueue(ok, silent);
      this.closing = true;
      return;
    }
    const found = lookupCommand(this.server.table, argv);
    const refuse = (e: Reply): void => {
      // after the commands still waiting at the gate (a MULTI among them must see the refusal)
      const gate = this.gate;
      if (gate === null) this.server.backend.refused?.(this);
      else void gate.then(() => this.server.backend.refused?.(this));
      this.enqueue(e, silent);
    };
    if (found.kind === 'unknown') return refuse(unknownCommandError(argv));
    if (found.kind === 'unknownSubcommand') return refuse(err(`ERR unknown subcommand '${quoted(argv[1]!)}'. Try ${upper(argv[0]!)} HELP.`));
    const spec = found.spec;
    if (!arityOk(spec, argv.length)) return refuse(err(`ERR wrong number of arguments for '${spec.name}' command`));
    if (this.needsAuth() && !spec.flags.includes('no_auth')) return this.enqueue(err('NOAUTH Authentication required.'), silent);
    const denied = this.server.acl.check(this, spec, argv);
    if (denied !== undefined) return refuse(denied);
    if (spec.name === 'multi' || spec.name === 'exec' || spec.name === 'discard') this.inMulti = spec.name === 'multi';
    if (this.resp === 2 && this.subs.total > 0 && !subscribedModeCommands.has(spec.name)) return refuse(subscribedModeError(spec.name));
    this.lastCommand = spec.name;
    const stats = this.server.stats;
    stats.commandsProcessed++;
    feedMonitors(stats, this.db, this.transport.remote, argv, spec.name, spec.flags);
    // CONFIG GET/SET reaching the encoding thresholds (keyspace state) is ordered with the data commands
    const logged = (spec.name === 'config|get' || spec.name === 'config|set') && argv.slice(2).some((a) => matchesEncodingParam(str(a)));
    if ((spec.scope !== 'connection' || logged) && spec.scope !== 'pubsub') {
      const t0 = performance.now();
      const held = pausedForMs(stats, spec.flags);
      const run = (): Reply | Promise<Reply> => {
        if (this.dropQueued) return err('ERR connection closed while blocked');
        try {
          return logged ? this.local(spec, argv)! : this.server.backend.execute(this, argv, spec);
        } catch (e) {
          return err(`ERR ${(e as Error).message}`);
        }
      };
      const reading = spec.flags.includes('readonly') || spec.name === 'config|get';
      const tracking = this.server.tracking;
      const keys = tracking.on(this.id) ? keysOf(spec, argv) : [];
      const tracked = keys.length > 0 && tracking.keysUsed(this.id, keys, reading) ? keys : [];
      if (!this.inMulti) tracking.commandDone(this.id);
      // A command that may write waits for this connection's reads still in flight (a read answered after a later
      // write was applied would show it); once one waits, every later command waits behind it (pipeline order).
      const before: Promise<unknown>[] = reading ? [] : [...this.readsInFlight];
      if (this.gate !== null) before.push(this.gate);
      if (held > 0) before.push(new Promise<void>((res) => setTimeout(res, held)));
      let r: Reply | Promise<Reply>;
      if (before.length === 0) r = run();
      else {
        const gate: Promise<void> = Promise.all(before).then(() => undefined, () => undefined);
        this.gate = gate;
        void gate.then(() => {
          if (this.gate === gate) this.gate = null;
        });
        r = gate.then(run);
      }
      // a blocked client's later commands wait until it is answered (Redis reads nothing more from it meanwhile)
      if (spec.flags.includes('blocking') && r instanceof Promise) {
        this.blockingPending++;
        const gate: Promise<void> = r.then(
          () => void this.blockingPending--,
          () => void this.blockingPending--,
        );
        this.gate = gate;
        void gate.then(() => {
          if (this.gate === gate) this.gate = null;
        });
      }
      // a read is remembered again when answered (an invalidation may have come in between)
      if (reading && tracked.length > 0 && r instanceof Promise) void r.then(() => tracking.remember(this.id, tracked), () => undefined);
      if (reading && r instanceof Promise) {
        const read = r;
        this.readsInFlight.add(read);
        const done = (): void => void this.readsInFlight.delete(read);
        read.then(done, done);
      }
      const slow = (): void => {
        const ms = performance.now() - t0;
        this.server.onCommand?.(spec.name, ms);
        // the time a blocking command waited is not its run time (Redis logs only the latter)
        if (!spec.flags.includes('blocking')) stats.logSlow(ms * 1000, argv, this.transport.remote, this.name, this.server.config.values.slowlogLogSlowerThan, this.server.config.values.slowlogMaxLen);
      };
      if (r instanceof Promise) void r.then(slow, () => undefined);
      else slow();
      return this.enqueue(r, silent);
    }
    if (spec.scope === 'pubsub') {
      const ps = this.server.pubsub;
      if (ps === undefined) return this.enqueue(err('ERR pub/sub is not available on this server'), silent);
      const r = subscribeCommand(ps, this, spec, argv).catch((e: Error) => {
        // the node may or may not have the change: this connection cannot know what it will receive
        this.server.log?.(`Closing client id=${this.id}: subscription not registered (${e.message})`);
        this.closing = true;
        return [err(`TRYAGAIN subscription not registered (${e.message})`)];
      });
      return this.enqueue(r, silent);
    }
    const respBefore = this.resp;
    const r = this.local(spec, argv);
    if (r === null) return; // CLIENT REPLY OFF|SKIP: no reply
    // HELLO answers in the protocol it switches to; everything else in the one it was read in.
    this.enqueue(r, skipped || this.repliesOff, spec.name === 'hello' ? this.resp : respBefore);
  }

  /** A pub/sub message: after every reply already due, in the connection's protocol now. */
  push(r: Reply): void {
    if (this.closing) return;
    this.enqueue(r, false);
    this.flush();
  }

  private dropSubscriptions(): void {
    if (this.subs.total === 0) return;
    this.subs.clear();
    this.server.pubsub?.gone(this.id);
  }

  private enqueue(r: Reply | readonly Reply[] | Promise<Reply> | Promise<Reply | readonly Reply[]>, silent: boolean, resp: RespVersion = this.resp): void {
    if (!(r instanceof Promise)) {
      if (this.slots.length === 0) {
        if (!silent) this.write(r, resp);
        return;
      }
      this.slots.push({ reply: r, resp, silent });
      return;
    }
    const slot: Slot = { reply: undefined, resp, silent };
    this.slots.push(slot);
    r.then(
      (reply) => this.settle(slot, reply),
      (e: unknown) => this.settle(slot, err(`ERR ${e instanceof Error ? e.message : String(e)}`)),
    );
  }

  private write(r: Reply | readonly Reply[], resp: RespVersion): void {
    if (Array.isArray(r)) for (const x of r as readonly Reply[]) this.writer.write(x, resp);
    else this.writer.write(r as Reply, resp);
  }

  private settle(slot: Slot, reply: Reply | readonly Reply[]): void {
    slot.reply = reply;
    if (this.closed) return;
    while (this.slots.length > 0 && this.slots[0]!.reply !== undefined) {
      const s = this.slots.shift()!;
      if (!s.silent) this.write(s.reply!, s.resp);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
        if (this.readPaused) this.onDrain();
      });
    }
  }

  private flush(): void {
    if (this.closed) return;
    if (this.writer.pendingBytes > 0) {
      const out = this.writer.take();
      this.server.stats.netOutputBytes += out.length;
      this.transport.write(out);
      if (this.overOutputLimit()) {
        this.server.log?.(`Client id=${this.id} addr=${this.transport.remote} scheduled to be closed for overcoming of output buffer limits.`);
        this.kill();
        return;
      }
      if (!this.readPaused && this.transport.outboundBytes() > outboundBytesPauseMax) this.pauseReading();
    }
    if (this.closing && this.slots.length === 0) {
      this.transport.close();
      this.onClose();
    }
  }

  /** Unsent output above client-output-buffer-limit's hard limit, or above the soft one for too long. */
  private overOutputLimit(): boolean {
    const limit = this.server.config.values.outputLimits[this.subs.total > 0 ? 'pubsub' : 'normal'];
    const out = this.transport.outboundBytes();
    if (limit.hardBytes > 0 && out >= limit.hardBytes) return true;
    if (limit.softBytes > 0 && out >= limit.softBytes) {
      const now = Date.now();
      if (this.softExceededSinceMs === 0) this.softExceededSinceMs = now;
      return now - this.softExceededSinceMs >= limit.softSeconds * 1000;
    }
    this.softExceededSinceMs = 0;
    return false;
  }

  /** What the server commands (server-commands.ts) see of this connection. */
  private serverContext(): ServerCommandContext {
    const server = this.server;
    return {
      id: this.id,
      db: this.db,
      resp: this.resp,
      stats: server.stats,
      ...(server.node ? { node: server.node } : {}),
      version: server.version,
      port: this.transport.local.slice(this.transport.local.lastIndexOf(':') + 1),
      connectedClients: server.clients.size,
      blockedClients: server.backend.blockedClients?.() ?? 0,
      trackingClients: server.tracking.count,
      maxClients: server.config.values.maxClients,
      role: server.role(),
      pubsubCounts: () => {
        const ch = new Set<string>();
        const pat = new Set<string>();
        for (const c of server.clients.values()) {
          for (const k of c.subs.channel) ch.add(k);
          for (const k of c.subs.pattern) pat.add(k);
        }
        return { channels: ch.size, patterns: pat.size };
      },
      config: server.config.values,
      monitor: () => server.stats.monitors.add(this),
    };
  }

  /** A connection command's reply, or null for none (CLIENT REPLY OFF/SKIP). */
  private local(spec: RedisCommandSpec, argv: Argv): Reply | Promise<Reply> | null {
    switch (spec.name) {
      case 'ping':
        if (argv.length > 2) return err(`ERR wrong number of arguments for 'ping' command`);
        if (this.resp === 2 && this.subs.total > 0) return { kind: 'Array', items: [bulk('pong'), bulk(argv[1] ?? '')] };
        return argv.length === 1 ? { kind: 'Simple', text: 'PONG' } : bulk(argv[1]!);
      case 'echo':
        return bulk(argv[1]!);
      case 'select': {
        const n = intArg(argv[1]!);
        if (n === null || n < -(2 ** 31) || n >= 2 ** 31) return err('ERR value is not an integer or out of range');
        if (n < 0 || n >= databasesCount) return err('ERR DB index is out of range');
        this.db = n;
        return ok;
      }
      case 'auth':
        return this.authCommand(argv);
      case 'hello':
        return this.hello(argv);
      case 'reset':
        this.db = 0;
        this.resp = 2;
        this.name = '';
        this.user = 'default';
        this.authenticated = !this.server.acl.required();
        this.inMulti = false;
        this.noEvict = false;
        this.noTouch = false;
        this.repliesOff = false;
        this.skipNext = false;
        this.dropSubscriptions();
        this.server.tracking.off(this.id);
        this.server.backend.release?.(this, 'reset');
        return { kind: 'Simple', text: 'RESET' };
      case 'command':
        return this.command(undefined, argv);
      case 'config|get': {
        const patterns = argv.slice(2).map(str);
        const entries = this.server.config.get(patterns).map(([k, v]) => [bulk(k), bulk(v)] as const);
        if (!patterns.some(matchesEncodingParam)) return { kind: 'Map', entries };
        // the encoding thresholds are keyspace state (src/core/keyspace/encoding.ts)
        return Promise.resolve(this.server.backend.execute(this, [Buffer.from('_encodingget'), ...argv.slice(2)], spec)).then((r) => {
          const more = r.kind === 'Array' ? r.items : [];
          for (let i = 0; i + 1 < more.length; i += 2) entries.push([more[i]!, more[i + 1]!] as const);
          return { kind: 'Map', entries };
        });
      }
      case 'config|set': {
        if (argv.length % 2 !== 0) return syntaxError;
        const pairs: [string, string][] = [];
        for (let i = 2; i < argv.length; i += 2) pairs.push([str(argv[i]!), str(argv[i + 1]!)]);
        const logged = pairs.filter(([name]) => isEncodingParam(name));
        const why = encodingConfigError(logged) ?? this.server.config.set(pairs.filter(([name]) => !isEncodingParam(name)));
        if (why !== undefined && why !== null) return err(why);
        // requirepass is the default user's password on every node: answered once that is applied
        const requirePass = pairs.some(([k]) => k.toLowerCase() === 'requirepass') ? this.server.acl.setRequirePass(this.server.config.values.requirePass) : ok;
        if (logged.length === 0) return requirePass;
        // the encoding thresholds are keyspace state: set through the log, on every replica
        const encodings = this.server.backend.execute(this, [Buffer.from('_encodingset'), ...logged.flatMap(([n, v]) => [Buffer.from(n), Buffer.from(v)])], spec);
        return Promise.all([requirePass, encodings]).then(([a, b]) => (a.kind === 'Error' ? a : b));
      }
      default: {
        const r = serverCommand(this.serverContext(), spec.name, argv);
        if (r !== undefined) return r;
        if (spec.name.startsWith('pubsub|')) return pubsubIntrospection(spec.name.slice(7), argv, this.server.clients.values());
        if (spec.name.startsWith('command|')) return this.command(spec.name.slice(8), argv);
        if (spec.name.startsWith('client|')) return this.client(spec.name.slice(7), argv);
        if (spec.name.startsWith('acl|')) return this.aclCommand(spec, argv);
        return err(`ERR unknown command '${spec.name}'`);
      }
    }
  }

  /** ACL ...; after SETUSER / DELUSER nothing else is dispatched until it applied (the next command sees it). */
  private aclCommand(spec: RedisCommandSpec, argv: Argv): Reply | Promise<Reply> {
    const r = this.server.acl.command(this, spec.name.slice(4), argv, this.server.table);
    if (r instanceof Promise && (spec.name === 'acl|setuser' || spec.name === 'acl|deluser')) {
      this.aclPending = r.then(
        () => this.resumeAfterAcl(),
        () => this.resumeAfterAcl(),
      );
    }
    return r;
  }

  private resumeAfterAcl(): void {
    this.aclPending = null;
    if (!this.closed) this.pump();
  }

  private authCommand(argv: Argv): Reply {
    if (argv.length > 3) return syntaxError;
    if (argv.length === 2 && this.server.acl.defaultNopass()) {
      return err('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    }
    const user = argv.length === 2 ? 'default' : str(argv[1]!);
    if (!this.server.acl.authenticate(this, user, argv[argv.length - 1]!)) return err('WRONGPASS invalid username-password pair or user is disabled.');
    this.user = user;
    this.authenticated = true;
    return ok;
  }

  private hello(argv: Argv): Reply {
    let ver = 0;
    if (argv.length >= 2) {
      const v = intArg(argv[1]!);
      if (v === null) return err('ERR Protocol version is not an integer or out of range');
      if (v < 2 || v > 3) return err('NOPROTO unsupported protocol version');
      ver = v;
    }
    let user: string | undefined;
    let pass: Uint8Array | undefined;
    let name: Uint8Array | undefined;
    for (let j = 2; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      const opt = upper(argv[j]!);
      if (opt === 'AUTH' && more >= 2) {
        user = str(argv[j + 1]!);
        pass = argv[j + 2]!;
        j += 2;
      } else if (opt === 'SETNAME' && more >= 1) {
        name = argv[++j]!;
      } else return err(`ERR Syntax error in HELLO option '${quoted(argv[j]!)}'`);
    }
    if (user !== undefined && pass !== undefined) {
      if (!this.server.acl.authenticate(this, user, pass)) return err('WRONGPASS invalid username-password pair or user is disabled.');
      this.user = user;
      this.authenticated = true;
    }
    if (this.needsAuth()) {
      return err(
        'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
      );
    }
    if (name !== undefined) {
      if (!validName(name)) return err('ERR Client names cannot contain spaces, newlines or special characters.');
      this.name = str(name);
    }
    if (ver !== 0) this.resp = ver as RespVersion;
    return {
      kind: 'Map',
      entries: [
        [bulk('server'), bulk(this.server.serverName)],
        [bulk('version'), bulk(this.server.version)],
        [bulk('proto'), int(this.resp)],
        [bulk('id'), int(this.id)],
        [bulk('mode'), bulk('standalone')],
        [bulk('role'), bulk(this.server.role())],
        [bulk('modules'), { kind: 'Array', items: [] }],
      ],
    };
  }

  /** This connection as one CLIENT LIST / CLIENT INFO line (Redis 7.0's fields, then 7.2's lib-name/lib-ver). */
  infoLine(): string {
    const now = Date.now();
    const blocked = this.server.backend.isBlocked?.(this.id) === true;
    const flags = `${blocked ? 'b' : ''}${this.subs.total > 0 ? 'P' : ''}${this.noEvict ? 'e' : ''}${this.noTouch ? 'T' : ''}` || 'N';
    const qbuf = this.decoder.bufferedBytes;
    const omem = this.transport.outboundBytes() + this.writer.pendingBytes;
    return (
      `id=${this.id} addr=${this.transport.remote} laddr=${this.transport.local} fd=-1 name=${this.name} ` +
      `age=${Math.floor((now - this.createdMs) / 1000)} idle=${Math.floor((now - this.lastActiveMs) / 1000)} flags=${flags} db=${this.db} ` +
      `sub=${this.subs.channel.size} psub=${this.subs.pattern.size} ssub=${this.subs.shard.size} multi=-1 qbuf=${qbuf} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=${this.slots.length} ` +
      `omem=${omem} tot-mem=${qbuf + omem} events=r cmd=${this.lastCommand} user=${this.user} redir=-1 resp=${this.resp} ` +
      `lib-name=${this.libName} lib-ver=${this.libVer}\n`
    );
  }

  private client(sub: string, argv: Argv): Reply | Promise<Reply> | null {
    const tracking = this.server.tracking.command(this, sub, argv);
    if (tracking !== undefined) return tracking;
    switch (sub) {
      case 'id':
        return int(this.id);
      case 'setname':
        if (!validName(argv[2]!)) return err('ERR Client names cannot contain spaces, newlines or special characters.');
        this.name = str(argv[2]!);
        return ok;
      case 'getname':
        return this.name === '' ? { kind: 'Null' } : bulk(this.name);
      case 'info':
        return { kind: 'Verbatim', format: 'txt', text: this.infoLine() };
      case 'list': {
        let ids: Set<number> | undefined;
        if (argv.length > 2) {
          const opt = upper(argv[2]!);
          if (opt === 'TYPE' && argv.length === 4) {
            const t = upper(argv[3]!);
            if (t === 'NORMAL') ids = undefined;
            else if (['MASTER', 'REPLICA', 'SLAVE', 'PUBSUB'].includes(t)) ids = new Set();
            else return err(`ERR Unknown client type '${quoted(argv[3]!)}'`);
          } else if (opt === 'ID' && argv.length >= 4) {
            ids = new Set();
            for (const a of argv.slice(3)) {
              const n = intArg(a);
              if (n === null || n <= 0) return err('ERR Invalid client ID');
              ids.add(n);
            }
          } else return syntaxError;
        }
        const lines = [...this.server.clients.values()].filter((c) => ids === undefined || ids.has(c.id)).map((c) => c.infoLine());
        return { kind: 'Verbatim', format: 'txt', text: lines.join('') };
      }
      case 'kill':
        return this.clientKill(argv);
      case 'unblock': {
        if (argv.length > 4) return err(`ERR unknown subcommand or wrong number of arguments for '${quoted(argv[1]!)}'. Try CLIENT HELP.`);
        const how = argv.length === 4 ? upper(argv[3]!) : 'TIMEOUT';
        if (how !== 'TIMEOUT' && how !== 'ERROR') return err('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
        const id = intArg(argv[2]!);
        if (id === null) return err('ERR value is not an integer or out of range');
        return int(this.server.backend.unblock?.(id, how === 'ERROR') === true ? 1 : 0);
      }
      case 'no-evict':
      case 'no-touch': {
        const v = upper(argv[2]!);
        if (v !== 'ON' && v !== 'OFF') return syntaxError;
        if (sub === 'no-evict') this.noEvict = v === 'ON';
        else this.noTouch = v === 'ON';
        return ok;
      }
      case 'reply': {
        const v = upper(argv[2]!);
        if (v === 'ON') {
          this.repliesOff = false;
          return ok;
        }
        if (v === 'OFF') this.repliesOff = true;
        else if (v === 'SKIP') this.skipNext = true;
        else return syntaxError;
        return null;
      }
      case 'setinfo': {
        const attr = upper(argv[2]!);
        if (attr !== 'LIB-NAME' && attr !== 'LIB-VER') return err(`ERR Unrecognized option '${quoted(argv[2]!)}'`);
        if (!validName(argv[3]!)) return err(`ERR ${attr.toLowerCase()} cannot contain spaces, newlines or special characters.`);
        if (attr === 'LIB-NAME') this.libName = str(argv[3]!);
        else this.libVer = str(argv[3]!);
        return ok;
      }
      case 'help':
        return {
          kind: 'Array',
          items: ['CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'ID', 'SETNAME <name>', 'GETNAME', 'INFO', 'LIST [TYPE <type>|ID <id> ...]', 'KILL <ip:port>|<filter> <value> ...', 'UNBLOCK <clientid> [TIMEOUT|ERROR]', 'NO-EVICT (ON|OFF)', 'NO-TOUCH (ON|OFF)', 'REPLY (ON|OFF|SKIP)', 'SETINFO <LIB-NAME|LIB-VER> <value>', 'HELP'].map(
            (text) => ({ kind: 'Simple', text }) as Reply,
          ),
        };
      default:
        return err(`ERR unknown subcommand '${sub}'. Try CLIENT HELP.`);
    }
  }

  private clientKill(argv: Argv): Reply {
    const all = [...this.server.clients.values()];
    if (argv.length === 3) {
      const addr = str(argv[2]!);
      const c = all.find((x) => x.transport.remote === addr);
      if (c === undefined) return err('ERR No such client');
      this.killLater(c);
      return ok;
    }
    if (argv.length % 2 !== 0) return syntaxError;
    let match = all;
    let skipMe = true;
    for (let i = 2; i < argv.length; i += 2) {
      const opt = upper(argv[i]!);
      const v = argv[i + 1]!;
      if (opt === 'ID') {
        const id = intArg(v);
        if (id === null || id <= 0) return err('ERR client-id should be greater than 0');
        match = match.filter((c) => c.id === id);
      } else if (opt === 'ADDR') match = match.filter((c) => c.transport.remote === str(v));
      else if (opt === 'LADDR') match = match.filter((c) => c.transport.local === str(v));
      else if (opt === 'USER') match = match.filter((c) => c.user === str(v));
      else if (opt === 'TYPE') {
        const t = upper(v);
        if (!['NORMAL', 'MASTER', 'REPLICA', 'SLAVE', 'PUBSUB'].includes(t)) return err(`ERR Unknown client type '${quoted(v)}'`);
        if (t !== 'NORMAL') match = [];
      } else if (opt === 'SKIPME') {
        const s = upper(v);
        if (s !== 'YES' && s !== 'NO') return syntaxError;
        skipMe = s === 'YES';
      } else return syntaxError;
    }
    if (skipMe) match = match.filter((c) => c !== this);
    for (const c of match) this.killLater(c);
    return int(match.length);
  }

  /** Another connection closes now; this one after its reply. */
  private killLater(c: RedisConnection): void {
    if (c === this) this.closing = true;
    else c.kill();
  }

  private commandInfo(s: RedisCommandSpec): Reply {
    const simple = (text: string): Reply => ({ kind: 'Simple', text });
    return {
      kind: 'Array',
      items: [
        bulk(s.name),
        int(s.arity),
        { kind: 'Set', items: s.flags.map(simple) },
        int(s.firstKey),
        int(s.lastKey),
        int(s.step),
        { kind: 'Set', items: s.categories.map((c) => simple(`@${c}`)) },
        { kind: 'Set', items: [] },
        { kind: 'Set', items: [] },
        { kind: 'Array', items: (s.subcommands ?? []).map((c) => this.commandInfo(c)) },
      ],
    };
  }

  private command(sub: string | undefined, argv: Argv): Reply {
    const table = this.server.table;
    const named = (b: Uint8Array) => {
      const name = Buffer.from(b).toString('latin1').toLowerCase();
      const [base, subName] = name.split('|');
      const spec = table.byName.get(base!);
      return subName === undefined ? spec : spec?.subcommands?.find((c) => c.name === name);
    };
    switch (sub) {
      case undefined:
        return { kind: 'Array', items: table.all.map((s) => this.commandInfo(s)) };
      case 'count':
        return int(table.all.length);
      case 'list':
        return { kind: 'Array', items: table.all.map((s) => bulk(s.name)) };
      case 'info': {
        const specs = argv.length === 2 ? table.all : argv.slice(2).map(named);
        return { kind: 'Array', items: specs.map((s) => (s === undefined ? ({ kind: 'NullArray' } as Reply) : this.commandInfo(s))) };
      }
      case 'docs': {
        const specs = argv.length === 2 ? table.all : argv.slice(2).map(named).filter((s) => s !== undefined);
        return { kind: 'Map', entries: specs.map((s) => [bulk(s!.name), { kind: 'Map', entries: [[bulk('group'), bulk(s!.scope === 'connection' ? 'connection' : 'generic')]] }] as const) };
      }
      case 'getkeys': {
        const target = argv.slice(2);
        const found = lookupCommand(table, target);
        if (found.kind !== 'found') return err('ERR Invalid command specified');
        if (!arityOk(found.spec, target.length)) return err('ERR Invalid number of arguments specified for command');
        const keys = keysOf(found.spec, target);
        return keys.length === 0 ? err('ERR The command has no key arguments') : { kind: 'Array', items: keys.map(bulk) };
      }
      default:
        return err(`ERR unknown subcommand '${sub}'. Try COMMAND HELP.`);
    }
  }
}
