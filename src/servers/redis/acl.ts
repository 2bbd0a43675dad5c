/**
 * Redis ACL at the RESP front end: who may connect (AUTH, HELLO AUTH, `requirepass` as the default user's
 * password), the permission check of every command at dispatch (command, keys, channels: NOPERM), and the ACL
 * command (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, DRYRUN, LOG, HELP), as Redis 7.0.15.
 *
 * The users are replicated state (src/core/keyspace/acl.ts): SETUSER / DELUSER go through the log as the internal
 * writes `_aclsetuser` / `_acldeluser` with every password already hashed (SHA-256: no cleartext is logged), and
 * their reply carries the new state. Each front end keeps a copy of the state for its checks: replaced by those
 * replies, caught up through a linearizable read before AUTH, GETUSER, LIST and USERS, and every
 * {@link aclRefreshMs} from the node's state (changes made through other nodes). Connections authenticated as a
 * user that is deleted are closed (the one that deleted it after its reply), as Redis does; disabling a user does
 * not close them (Redis 7.0.15).
 *
 * A server without a node (tests) keeps the state in memory ({@link localAclStore}). See ../../../docs/acl.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Argv, Reply } from '../../protocol/resp.js';
import type { AnyMessage, Message } from '../../protocol/envelope.js';
import type { RedisAnswer, RedisRequestMsg } from '../../protocol/keyspace.js';
import { aclCategories, aclCategoryCommands, aclCheck, aclDelUserReply, aclSetUserReply, aclStateReply, applyRule, AclUsers, describeUser, getUserReply, type AclUser } from '../../core/keyspace/acl.js';
import { arityOk, lookupCommand, type CommandTable, type RedisCommandSpec } from './commands.js';

/** How often a front end catches up with ACL changes made through other nodes. */
export const aclRefreshMs = 1_000;
/** How long an ACL read or write waits for the node. */
export const aclAskTimeoutMs = 10_000;
/** ACL LOG entries kept (Redis's acllog-max-len default). */
export const aclLogEntriesMax = 128;
/** Similar ACL LOG entries within this time are counted as one (Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA). */
export const aclLogGroupingMs = 60_000;
/** ACL GENPASS's largest argument. */
export const genpassBitsMax = 4096;

/** Where the replicated ACL state lives: the node's keyspace, or memory. */
export interface AclStore {
  /** The state is the store's own, in this process (no node): the copy never falls behind. */
  readonly local?: boolean;
  /** A logged ACL write (`_aclsetuser` / `_acldeluser`): its reply once applied. */
  write(argv: Argv): Promise<Reply>;
  /** `_aclstate [version]`: linearizable, or from the node's state at once. */
  read(argv: Argv, linearizable: boolean): Promise<Reply>;
}

/** The state in memory (a front end without a node). */
export function localAclStore(): AclStore {
  const users = new AclUsers();
  return {
    local: true,
    write: async (argv) => (latin1(argv[0]!) === '_aclsetuser' ? aclSetUserReply(users, argv) : aclDelUserReply(users, argv)),
    read: async (argv) => aclStateReply(users, argv),
  };
}

interface Gateway {
  ask<R extends Message = Message>(to: string, msg: AnyMessage, timeoutMs: number): Promise<R>;
}

/** The state of `node`'s keyspace, through its `redis` actor. */
export function nodeAclStore(gateway: Gateway, node: string): AclStore {
  const ask = async (msg: RedisRequestMsg): Promise<Reply> => {
    const a = await gateway.ask<RedisAnswer>(`${node}/redis`, msg, aclAskTimeoutMs);
    return a.type === 'RedisAnswer' ? a.reply : { kind: 'Error', text: 'ERR unexpected answer' };
  };
  return {
    write: (argv) => ask({ type: 'RedisWrite', db: 0, commands: [argv], exec: false, watched: [] }),
    read: (argv, linearizable) => ask({ type: 'RedisRead', db: 0, argv, local: !linearizable }),
  };
}

/** The connection as ACL sees it. */
export interface AclClient {
  readonly user: string;
  readonly authenticated: boolean;
  readonly inMulti: boolean;
  infoLine(): string;
  /** The user was deleted: close (after the reply being made when `current`). */
  userDeleted(current: boolean): void;
}

interface LogEntry {
  count: number;
  readonly reason: 'command' | 'key' | 'channel' | 'auth';
  readonly context: 'toplevel' | 'multi';
  readonly object: string;
  readonly username: string;
  createdMs: number;
  clientInfo: string;
}

const enc = new TextEncoder();
const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const bulk = (s: string): Reply => ({ kind: 'Bulk', bytes: bytes(s) });
const err = (text: string): Reply => ({ kind: 'Error', text });
const ok: Reply = { kind: 'Simple', text: 'OK' };
/** SHA-256 hex of a modifier's cleartext (the argument's bytes, read as latin1). */
const sha256 = (clear: string): string => createHash('sha256').update(Buffer.from(clear, 'latin1')).digest('hex');
/** SHA-256 hex of a `requirepass` value (a config string: its UTF-8 bytes). */
const sha256Config = (clear: string): string => createHash('sha256').update(clear, 'utf8').digest('hex');
/** Redis's error for a subcommand with the wrong arguments (the subcommand as typed). */
const wrongArgs = (argv: Argv): Reply => err(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1]!)}'. Try ACL HELP.`);

const helpLines = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

/** A front end's ACL: its copy of the users, the checks, the ACL command, the ACL LOG. */
export class RedisAcl {
  private users = new AclUsers();
  /** The default user with the start-up `requirepass`, while the replicated default user was never set. */
  private overlay: { readonly of: AclUser; readonly user: AclUser } | null = null;
  private readonly log: LogEntry[] = [];
  /** The users were read once by {@link sync} (until then connections wait: a restarted node must not let anyone in on stale users). */
  synced: boolean;
  /** The ACL commands that read or change the users run one after the other, in arrival order (pipelines). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: AclStore,
    /** `requirepass` at start-up (as Redis's config file sets the default user's password). */
    private readonly startupPass: string,
    /** Every connection of the server (to close those of deleted users). */
    private readonly clients: () => Iterable<AclClient>,
  ) {
    this.synced = store.local === true;
  }

  /** AUTH must first catch up with the replicated state (changes made through other nodes). */
  get replicated(): boolean {
    return this.store.local !== true;
  }

  /** The user as checks see it (the default user with the start-up password while it was never set). */
  user(name: string): AclUser | undefined {
    const u = this.users.get(name);
    if (name !== 'default' || u === undefined || this.startupPass === '' || this.users.defaultSet) return u;
    if (this.overlay?.of !== u) {
      const copy = AclUsers.decode(this.users.encode()).get('default')!;
      applyRule(copy, 'resetpass');
      applyRule(copy, `#${sha256Config(this.startupPass)}`);
      this.overlay = { of: u, user: copy };
    }
    return this.overlay.user;
  }

  /** New connections must authenticate: the default user has a password or is off. */
  required(): boolean {
    const d = this.user('default')!;
    return !d.nopass || !d.enabled;
  }

  /** The default user needs no password (AUTH <password> is then an error). */
  defaultNopass(): boolean {
    return this.user('default')!.nopass;
  }

  /** Replaces the copy with a newer state (a write's reply or a read), then closes connections of deleted users. */
  private install(json: Uint8Array, current?: AclClient): void {
    const next = AclUsers.decode(latin1(json));
    if (next.version <= this.users.version) return;
    this.users = next;
    for (const c of this.clients()) if (c.authenticated && next.get(c.user) === undefined) c.userDeleted(c === current);
  }

  /** Catches up with the replicated state (linearizable), after the ACL commands before it (AUTH, HELLO AUTH). */
  caughtUp(): Promise<void> {
    return this.serial(() => this.refresh().then(() => ok, () => ok)).then(() => undefined);
  }

  /**
   * Reads the users once before the first command: linearizably (a restarted node may not have applied the latest
   * changes yet), or, when the ensemble cannot answer, from the node's own state.
   */
  sync(): Promise<void> {
    return this.serial(() =>
      this.refresh()
        .catch(() => this.poll())
        .then(() => {
          this.synced = true;
          return ok;
        }),
    ).then(() => undefined);
  }

  /** The node's users if they changed since this copy (its own state). */
  private async poll(): Promise<void> {
    const r = await this.store.read([bytes('_aclstate'), bytes(String(this.users.version))], false);
    if (r.kind === 'Bulk') this.install(r.bytes);
  }

  /** Catches up linearizably; rejects with the node's error (no leader, timeout). */
  private async refresh(): Promise<void> {
    const r = await this.store.read([bytes('_aclstate')], true);
    if (r.kind !== 'Bulk') throw new Error(r.kind === 'Error' ? r.text : `unexpected ${r.kind}`);
    this.install(r.bytes);
  }

  /** `reply` after catching up, or the node's error (the command cannot know the users). */
  private afterRefresh(reply: () => Reply): Promise<Reply> {
    return this.refresh().then(reply, (e: Error) => err(e.message));
  }

  /** Starts catching up every {@link aclRefreshMs} with changes made elsewhere; returns the stop function. */
  start(): () => void {
    let busy = false;
    const poll = (): void => {
      if (busy) return;
      busy = true;
      this.poll()
        .catch(() => undefined)
        .finally(() => (busy = false));
    };
    poll();
    const timer = setInterval(poll, aclRefreshMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** AUTH / HELLO AUTH: whether `name` with `password` may log in (the connection caught up with {@link refresh} first). */
  authenticate(client: AclClient, name: string, password: Uint8Array): boolean {
    const u = this.user(name);
    const good = u !== undefined && u.enabled && (u.nopass || u.passwords.includes(createHash('sha256').update(password).digest('hex')));
    if (!good) this.addLog(client, 'auth', 'toplevel', 'AUTH', name);
    return good;
  }

  /** CONFIG SET requirepass: the default user's password (`resetpass >pass`, or `nopass` when empty), logged; OK once applied. */
  setRequirePass(pass: string): Promise<Reply> {
    return this.serial(async () => {
      const r = await this.store.write(['_aclsetuser', 'default', 'resetpass', pass === '' ? 'nopass' : `#${sha256Config(pass)}`].map(bytes));
      if (r.kind !== 'Bulk') return r;
      this.install(r.bytes);
      return ok;
    });
  }

  /** The NOPERM error for a command the connection's user may not run, or undefined (logged in ACL LOG). */
  check(client: AclClient, spec: RedisCommandSpec, argv: Argv): Reply | undefined {
    const u = this.user(client.user);
    if (u === undefined) return err(`NOPERM this user has no permissions to run the '${spec.name}' command`);
    if (u.allCommands && u.allKeys && u.allChannels) return undefined;
    const denied = aclCheck(u, spec.name, argv, spec.flags.includes('no_auth'));
    if (denied === null) return undefined;
    const context = client.inMulti ? 'multi' : 'toplevel';
    if (denied.reason === 'command') {
      this.addLog(client, 'command', context, spec.name, u.name);
      return err(`NOPERM this user has no permissions to run the '${spec.name}' command`);
    }
    this.addLog(client, denied.reason, context, latin1(argv[denied.index]!), u.name);
    return err(`NOPERM this user has no permissions to access one of the ${denied.reason === 'key' ? 'keys' : 'channels'} used as arguments`);
  }

  private addLog(client: AclClient, reason: LogEntry['reason'], context: LogEntry['context'], object: string, username: string): void {
    const now = Date.now();
    const same = this.log.find((e) => e.reason === reason && e.context === context && e.object === object && e.username === username && now - e.createdMs < aclLogGroupingMs);
    if (same !== undefined) {
      same.count++;
      same.createdMs = now;
      same.clientInfo = client.infoLine().trimEnd();
      this.log.splice(this.log.indexOf(same), 1);
      this.log.unshift(same);
      return;
    }
    this.log.unshift({ count: 1, reason, context, object, username, createdMs: now, clientInfo: client.infoLine().trimEnd() });
    if (this.log.length > aclLogEntriesMax) this.log.length = aclLogEntriesMax;
  }

  /** Runs `f` after every ACL command before it. */
  private serial(f: () => Reply | Promise<Reply>): Promise<Reply> {
    const r = this.queue.then(f);
    this.queue = r.catch(() => undefined);
    return r;
  }

  /** ACL <sub> ... (`sub` as the command table names it: `setuser`, `getuser`, ...). */
  command(client: AclClient, sub: string, argv: Argv, table: CommandTable): Reply | Promise<Reply> {
    switch (sub) {
      case 'setuser':
        return this.serial(() => this.setUser(client, argv));
      case 'deluser':
        return this.serial(() =>
          this.store.write([bytes('_acldeluser'), ...argv.slice(2)]).then((r) => {
            if (r.kind !== 'Array') return r;
            const [count, state] = r.items as [Reply, Reply];
            if (state.kind === 'Bulk') this.install(state.bytes, client);
            return count;
          }),
        );
      case 'getuser':
        return this.serial(() =>
          this.afterRefresh((): Reply => {
            const u = this.user(latin1(argv[2]!));
            return u === undefined ? { kind: 'Null' } : getUserReply(u);
          }),
        );
      case 'list':
        return this.serial(() => this.afterRefresh((): Reply => ({ kind: 'Array', items: this.users.names().map((n) => bulk(describeUser(this.user(n)!))) })));
      case 'users':
        return this.serial(() => this.afterRefresh((): Reply => ({ kind: 'Array', items: this.users.names().map(bulk) })));
      case 'whoami':
        return bulk(client.user);
      case 'cat': {
        if (argv.length > 3) return wrongArgs(argv);
        if (argv.length === 2) return { kind: 'Array', items: aclCategories.map(bulk) };
        const cmds = aclCategoryCommands(latin1(argv[2]!).toLowerCase());
        return cmds === null ? err(`ERR Unknown category '${latin1(argv[2]!)}'`) : { kind: 'Array', items: cmds.map(bulk) };
      }
      case 'genpass': {
        let bits = 256;
        if (argv.length > 3) return wrongArgs(argv);
        if (argv.length === 3) {
          const s = latin1(argv[2]!);
          if (!/^(0|-?[1-9]\d{0,17})$/.test(s)) return err('ERR value is not an integer or out of range');
          bits = Number(s);
          if (bits <= 0 || bits > genpassBitsMax) return err(`ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to ${genpassBitsMax}`);
        }
        const chars = Math.ceil(bits / 4);
        return bulk(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
      }
      case 'dryrun':
        return this.serial(() => this.dryrun(argv, table));
      case 'log':
        return this.logCommand(argv);
      case 'load':
      case 'save':
        return err('ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.');
      case 'help':
        return { kind: 'Array', items: helpLines.map((text) => ({ kind: 'Simple', text }) as Reply) };
      default:
        return err(`ERR unknown subcommand '${sub}'. Try ACL HELP.`);
    }
  }

  /**
   * SETUSER: the modifiers checked against this copy first (Redis's error texts, cleartext passwords in them), then
   * logged with `>`/`<` passwords as `#`/`!` hashes.
   */
  private setUser(client: AclClient, argv: Argv): Reply | Promise<Reply> {
    const name = latin1(argv[2]!);
    const typed = argv.slice(3).map(latin1);
    const trial = AclUsers.decode(this.users.encode());
    const why = trial.setUser(name, typed, sha256);
    if (why !== undefined) return err(why);
    const logged = typed.map((op) => (op[0] === '>' ? `#${sha256(op.slice(1))}` : op[0] === '<' ? `!${sha256(op.slice(1))}` : op));
    return this.store.write([bytes('_aclsetuser'), argv[2]!, ...logged.map(bytes)]).then((r) => {
      if (r.kind === 'Bulk') {
        this.install(r.bytes, client);
        return ok;
      }
      if (r.kind !== 'Error') return r;
      // the state changed in between: name the modifier as the client typed it
      let text = r.text;
      logged.forEach((op, i) => (text = text.replace(`modifier '${op}'`, `modifier '${typed[i]}'`)));
      return err(text);
    });
  }

  private dryrun(argv: Argv, table: CommandTable): Reply {
    const name = latin1(argv[2]!);
    const u = this.user(name);
    if (u === undefined) return err(`ERR User '${name}' not found`);
    const target = argv.slice(3);
    const found = lookupCommand(table, target);
    if (found.kind !== 'found') return err(`ERR Command '${latin1(target[0]!)}' not found`);
    const spec = found.spec;
    if (!arityOk(spec, target.length)) return err(`ERR wrong number of arguments for '${spec.name}' command`);
    const denied = aclCheck(u, spec.name, target, spec.flags.includes('no_auth'));
    if (denied === null) return ok;
    if (denied.reason === 'command') return bulk(`This user has no permissions to run the '${spec.name}' command`);
    return bulk(`This user has no permissions to access the '${latin1(target[denied.index]!)}' ${denied.reason}`);
  }

  private logCommand(argv: Argv): Reply {
    let count = this.log.length;
    if (argv.length > 3) return wrongArgs(argv);
    if (argv.length === 3) {
      const s = latin1(argv[2]!);
      if (s.toLowerCase() === 'reset') {
        this.log.length = 0;
        return ok;
      }
      if (!/^(0|-?[1-9]\d{0,17})$/.test(s)) return err('ERR value is not an integer or out of range');
      count = Math.max(0, Math.min(count, Number(s)));
    }
    const now = Date.now();
    return {
      kind: 'Array',
      items: this.log.slice(0, count).map(
        (e): Reply => ({
          kind: 'Map',
          entries: [
            [bulk('count'), { kind: 'Int', value: e.count }],
            [bulk('reason'), bulk(e.reason)],
            [bulk('context'), bulk(e.context)],
            [bulk('object'), bulk(e.object)],
            [bulk('username'), bulk(e.username)],
            [bulk('age-seconds'), { kind: 'Double', value: (now - e.createdMs) / 1000 }],
            [bulk('client-info'), { kind: 'Bulk', bytes: enc.encode(e.clientInfo) }],
          ],
        }),
      ),
    };
  }
}
