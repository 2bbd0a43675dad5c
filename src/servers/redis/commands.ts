/**
 * The one Redis command table: name, arity, flags, key positions and ACL categories, as COMMAND reports them and
 * as the front end checks them (unknown command, wrong arity, NOAUTH) before anything runs.
 *
 * `scope: 'connection'` entries are answered by the front end (src/servers/redis/connection.ts); every other entry
 * is sent to the {@link RedisBackend}. The keyspace adds its commands by appending specs to {@link redisCommandSpecs}
 * (or by building its own table with {@link commandTable}). Names are lower case; subcommands are full specs whose
 * name is `container|sub` as in Redis 7.0.
 */

export interface RedisCommandSpec {
  readonly name: string;
  /** Redis arity: n = exactly n arguments (name included), -n = at least n. */
  readonly arity: number;
  /** Redis command flags as COMMAND INFO lists them (`readonly`, `write`, `fast`, `no-auth`, `loading`, ...). */
  readonly flags: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  /** ACL categories without the `@` (`connection`, `fast`, `read`, `string`, ...). */
  readonly categories: readonly string[];
  /** Who answers it; default `backend`. */
  readonly scope?: 'connection' | 'backend' | 'pubsub';
  readonly subcommands?: readonly RedisCommandSpec[];
}

const conn = (name: string, arity: number, flags: string[], categories: string[], subcommands?: RedisCommandSpec[]): RedisCommandSpec => ({
  name,
  arity,
  flags,
  firstKey: 0,
  lastKey: 0,
  step: 0,
  categories,
  scope: 'connection',
  ...(subcommands ? { subcommands } : {}),
});
const sub = (container: string, name: string, arity: number, flags: string[], categories: string[]) => conn(`${container}|${name}`, arity, flags, categories);
const connFlags = ['noscript', 'loading', 'stale'];
const clientCats = ['slow', 'connection'];
const adminCats = ['admin', 'slow', 'dangerous'];

/** The connection-level commands (Redis 7.0.15's flags and categories). */
export const redisCommandSpecs: RedisCommandSpec[] = [
  conn('ping', -1, ['fast'], ['fast', 'connection']),
  conn('echo', 2, ['fast'], ['fast', 'connection']),
  conn('quit', -1, ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'], ['fast', 'connection']),
  conn('reset', 1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], ['fast', 'connection']),
  conn('select', 2, ['loading', 'stale', 'fast'], ['fast', 'connection']),
  conn('auth', -2, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], ['fast', 'connection']),
  conn('hello', -1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], ['fast', 'connection']),
  conn('info', -1, ['loading', 'stale'], ['slow', 'dangerous']),
  conn('client', -2, [], ['slow'], [
    sub('client', 'id', 2, connFlags, clientCats),
    sub('client', 'setname', 3, connFlags, clientCats),
    sub('client', 'getname', 2, connFlags, clientCats),
    sub('client', 'info', 2, connFlags, clientCats),
    sub('client', 'list', -2, ['admin', ...connFlags], [...adminCats, 'connection']),
    sub('client', 'kill', -3, ['admin', ...connFlags], [...adminCats, 'connection']),
    sub('client', 'unblock', -3, ['admin', ...connFlags], [...adminCats, 'connection']),
    sub('client', 'no-evict', 3, ['admin', ...connFlags], [...adminCats, 'connection']),
    sub('client', 'no-touch', 3, connFlags, ['fast', 'connection']),
    sub('client', 'reply', 3, connFlags, clientCats),
    sub('client', 'setinfo', 4, connFlags, clientCats),
    sub('client', 'help', 2, ['loading', 'stale'], clientCats),
    sub('client', 'tracking', -3, connFlags, clientCats),
    sub('client', 'caching', 3, connFlags, clientCats),
    sub('client', 'trackinginfo', 2, connFlags, clientCats),
    sub('client', 'getredir', 2, connFlags, clientCats),
    sub('client', 'pause', -3, ['admin', ...connFlags], [...adminCats, 'connection']),
    sub('client', 'unpause', 2, ['admin', ...connFlags], [...adminCats, 'connection']),
  ]),
  conn('command', -1, ['loading', 'stale'], ['slow', 'connection'], [
    sub('command', 'count', 2, ['loading', 'stale'], ['slow', 'connection']),
    sub('command', 'info', -2, ['loading', 'stale'], ['slow', 'connection']),
    sub('command', 'docs', -2, ['loading', 'stale'], ['slow', 'connection']),
    sub('command', 'list', -2, ['loading', 'stale'], ['slow', 'connection']),
    sub('command', 'getkeys', -4, ['loading', 'stale'], ['slow', 'connection']),
  ]),
  ...(['subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe'] as const).map(
    (name): RedisCommandSpec => ({
      ...conn(name, name.endsWith('unsubscribe') ? -1 : -2, ['pubsub', 'noscript', 'loading', 'stale'], ['pubsub', 'slow']),
      scope: 'pubsub',
      ...(name.startsWith('ss') || name.startsWith('sun') ? { firstKey: 1, lastKey: -1, step: 1 } : {}),
    }),
  ),
  conn('pubsub', -2, [], ['slow'], [
    sub('pubsub', 'channels', -2, ['pubsub', 'loading', 'stale'], ['pubsub', 'slow']),
    sub('pubsub', 'numsub', -2, ['pubsub', 'loading', 'stale'], ['pubsub', 'slow']),
    sub('pubsub', 'numpat', 2, ['pubsub', 'loading', 'stale'], ['pubsub', 'slow']),
    sub('pubsub', 'shardchannels', -2, ['pubsub', 'loading', 'stale'], ['pubsub', 'slow']),
    sub('pubsub', 'shardnumsub', -2, ['pubsub', 'loading', 'stale'], ['pubsub', 'slow']),
    sub('pubsub', 'help', 2, ['loading', 'stale'], ['slow']),
  ]),
  conn('config', -2, [], ['slow'], [
    sub('config', 'get', -3, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('config', 'set', -4, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('config', 'resetstat', 2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('config', 'rewrite', 2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
  ]),
  conn('acl', -2, [], ['slow'], [
    sub('acl', 'cat', -2, ['noscript', 'loading', 'stale'], ['slow']),
    sub('acl', 'deluser', -3, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('acl', 'dryrun', -4, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('acl', 'genpass', -2, ['noscript', 'loading', 'stale'], ['slow']),
    sub('acl', 'getuser', 3, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('acl', 'help', 2, ['loading', 'stale'], ['slow']),
    sub('acl', 'list', 2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('acl', 'load', 2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('acl', 'log', -2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('acl', 'save', 2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('acl', 'setuser', -3, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('acl', 'users', 2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('acl', 'whoami', 2, ['noscript', 'loading', 'stale'], ['slow']),
  ]),
  conn('time', 1, ['loading', 'stale', 'fast'], ['fast']),
  conn('lastsave', 1, ['loading', 'stale', 'fast'], ['fast', 'dangerous']),
  conn('save', 1, ['admin', 'noscript', 'no_async_loading', 'no_multi'], adminCats),
  conn('bgsave', -1, ['admin', 'noscript', 'no_async_loading'], adminCats),
  conn('debug', -2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
  conn('monitor', 1, ['admin', 'noscript', 'loading', 'stale'], adminCats),
  conn('wait', 3, ['noscript'], ['slow', 'connection']),
  conn('slowlog', -2, [], ['slow'], [
    sub('slowlog', 'get', -2, ['admin', 'loading', 'stale'], adminCats),
    sub('slowlog', 'len', 2, ['admin', 'loading', 'stale'], adminCats),
    sub('slowlog', 'reset', 2, ['admin', 'loading', 'stale'], adminCats),
    sub('slowlog', 'help', 2, ['loading', 'stale'], ['slow']),
  ]),
  conn('latency', -2, [], ['slow'], [
    sub('latency', 'latest', 2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('latency', 'history', 3, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('latency', 'reset', -2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('latency', 'doctor', 2, ['admin', 'noscript', 'loading', 'stale'], adminCats),
    sub('latency', 'help', 2, ['loading', 'stale'], ['slow']),
  ]),
];

export interface CommandTable {
  /** Top-level commands by lower-case name. */
  readonly byName: ReadonlyMap<string, RedisCommandSpec>;
  readonly all: readonly RedisCommandSpec[];
}

export function commandTable(specs: readonly RedisCommandSpec[] = redisCommandSpecs): CommandTable {
  return { byName: new Map(specs.map((s) => [s.name, s])), all: specs };
}

export type Lookup =
  | { readonly kind: 'found'; readonly spec: RedisCommandSpec }
  | { readonly kind: 'unknown' }
  /** The container exists but not this subcommand. */
  | { readonly kind: 'unknownSubcommand' };

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
const lowerName = (b: Uint8Array): string => latin1(b).toLowerCase();

/** Redis's lookupCommand: the container alone when there is no second argument, else its subcommand. */
export function lookupCommand(table: CommandTable, argv: readonly Uint8Array[]): Lookup {
  const typed = latin1(argv[0]!);
  const base = table.byName.get(typed) ?? table.byName.get(typed.toLowerCase());
  if (base === undefined) return { kind: 'unknown' };
  if (base.subcommands === undefined || argv.length === 1) return { kind: 'found', spec: base };
  const want = `${base.name}|${lowerName(argv[1]!)}`;
  const s = base.subcommands.find((c) => c.name === want);
  return s === undefined ? { kind: 'unknownSubcommand' } : { kind: 'found', spec: s };
}

export function arityOk(spec: RedisCommandSpec, argc: number): boolean {
  return spec.arity > 0 ? argc === spec.arity : argc >= -spec.arity;
}

/** The key arguments of a command by its first/last/step (COMMAND GETKEYS). */
export function keysOf(spec: RedisCommandSpec, argv: readonly Uint8Array[]): Uint8Array[] {
  if (spec.firstKey <= 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const out: Uint8Array[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += Math.max(1, spec.step)) out.push(argv[i]!);
  return out;
}
