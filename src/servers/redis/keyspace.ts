/**
 * The RESP front end's keyspace backend: the keyspace commands, MULTI/EXEC/DISCARD/WATCH/UNWATCH and
 * READONLY/READWRITE, answered through a node's `redis` actor (actors/redis.ts). See ../../../docs/resp.md.
 *
 * - A write is normalised here (relative TTLs become absolute deadlines with this node's clock). The requests of one
 *   event-loop turn, every connection's, go to the actor together, in arrival order: each run of writes as one
 *   `RedisWrites` (encoded as batch items: one byte string to clone), each run of reads as one `RedisRequests`.
 * - MULTI queues commands (a command the keyspace refuses in any state, unknown or of the wrong arity, answers its
 *   error and makes EXEC answer EXECABORT); EXEC sends the block as ONE txn with the revisions WATCH read, so the
 *   watch check and the commands apply atomically on every replica.
 * - Reads are linearizable unless the connection said READONLY (then they read this node's state).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { keyspaceWriteBytesMax, type RedisAnswer, type RedisAnswers, type RedisPubsubMsg, type RedisRequest, type RedisRequestMsg, type WatchedKey } from '../../protocol/keyspace.js';
import type { Address, AnyMessage, Message } from '../../protocol/envelope.js';
import { commandOf, keyspaceCommands, normalize } from '../../core/keyspace/index.js';
import { blockingCommands } from '../../core/keyspace/blocking.js';
import { BlockedClients, type BlockingTimers } from './blocking.js';
import { encodeBatchItems } from '../../core/tree/codec.js';
import type { RedisBackend, RedisClientContext } from './connection.js';
import { commandTable, redisCommandSpecs, type CommandTable, type RedisCommandSpec } from './commands.js';

/** Commands one MULTI may queue, at most (beyond: an error, and EXEC aborts). */
export const multiQueuedMax = 10_000;
/** Keys one connection may WATCH, at most. */
export const watchedKeysMax = 10_000;
/** Requests in one ask to the node, at most (a turn with more sends several). */
export const requestsPerAskMax = 4_096;
/** The front end's ask to the node allows this much beyond the actor's own request timeout. */
const askTimeoutMs = 12_000;
export interface RedisGateway {
  ask<R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R>;
  send?(to: Address, msg: AnyMessage): void;
}

const spec = (name: string, arity: number, flags: string[], categories: string[], firstKey = 0, lastKey = 0, step = 0): RedisCommandSpec => ({ name, arity, flags, firstKey, lastKey, step, categories });

const argvBytes = (argv: Argv): number => argv.reduce((n, a) => n + a.length, 0);
const tooLarge = (bytes: number): string => `ERR write too large for the replicated log: ${bytes} bytes of arguments (at most ${keyspaceWriteBytesMax})`;

/** The front end's table: the connection commands, the keyspace's, transactions and READONLY/READWRITE. */
export function keyspaceCommandTable(): CommandTable {
  const ks: RedisCommandSpec[] = [];
  for (const c of keyspaceCommands.values()) {
    if (c.kind === 'connection' || c.name.startsWith('_')) continue; // SELECT: the connection's own; `_` names: internal
    const read = c.kind === 'read';
    const flags = read ? ['readonly'] : blockingCommands.has(c.name) ? ['write', 'blocking'] : ['write'];
    ks.push(spec(c.name, c.arity, flags, [read ? 'read' : 'write', 'keyspace'], c.firstKey, c.lastKey, c.keyStep));
  }
  return commandTable([
    ...redisCommandSpecs,
    ...ks,
    spec('multi', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], ['fast', 'transaction']),
    spec('exec', 1, ['noscript', 'loading', 'stale', 'skip_slowlog'], ['slow', 'transaction']),
    spec('discard', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], ['fast', 'transaction']),
    spec('watch', -2, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], ['fast', 'transaction'], 1, -1, 1),
    spec('unwatch', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], ['fast', 'transaction']),
    spec('readonly', 1, ['loading', 'stale', 'fast'], ['fast', 'connection']),
    spec('readwrite', 1, ['loading', 'stale', 'fast'], ['fast', 'connection']),
  ]);
}

interface ClientState {
  queue: Argv[] | null;
  queueFailed: boolean;
  watched: WatchedKey[];
  readonly: boolean;
}

const ok: Reply = { kind: 'Simple', text: 'OK' };
const err = (text: string): Reply => ({ kind: 'Error', text });

export function keyspaceBackend(gateway: RedisGateway, node: string, now: () => number = Date.now, timers?: BlockingTimers): RedisBackend {
  const clients = new Map<number, ClientState>();
  const state = (c: RedisClientContext): ClientState => {
    let s = clients.get(c.id);
    if (s === undefined) clients.set(c.id, (s = { queue: null, queueFailed: false, watched: [], readonly: false }));
    return s;
  };
  // The requests of one event-loop turn (every connection's) go to the node together: one ask per run of writes or
  // of reads, in arrival order (reads do not wait for the writes' commit; the actor keeps the order of the asks).
  let turn: { readonly req: RedisRequest; readonly resolve: (a: RedisAnswer) => void }[] = [];
  const sendRun = (run: typeof turn): void => {
    const failed = (why: string): RedisAnswer => ({ type: 'RedisAnswer', reply: err(`TRYAGAIN ${node} did not answer (${why})`) });
    const msg: RedisRequestMsg =
      run[0]!.req.type === 'RedisWrite'
        ? { type: 'RedisWrites', items: encodeBatchItems(run.map((r) => r.req as Extract<RedisRequest, { type: 'RedisWrite' }>)) }
        : { type: 'RedisRequests', items: run.map((r) => r.req) };
    gateway.ask<RedisAnswers>(`${node}/redis`, msg, askTimeoutMs).then(
      (a) => run.forEach((r, i) => r.resolve(a.type === 'RedisAnswers' ? (a.answers[i] ?? failed('no answer')) : failed(a.type))),
      (e: Error) => run.forEach((r) => r.resolve(failed(e.message))),
    );
  };
  const flush = (): void => {
    const all = turn;
    turn = [];
    const bytesOf = (r: RedisRequest): number => (r.type === 'RedisWrite' ? r.commands.reduce((n, a) => n + argvBytes(a), 0) : 0);
    for (let i = 0; i < all.length; ) {
      const write = all[i]!.req.type === 'RedisWrite';
      // a run of writes holds at most keyspaceWriteBytesMax of arguments (one larger write goes alone)
      let bytes = bytesOf(all[i]!.req);
      let j = i + 1;
      while (j < all.length && j - i < requestsPerAskMax && (all[j]!.req.type === 'RedisWrite') === write && (bytes += bytesOf(all[j]!.req)) <= keyspaceWriteBytesMax) j++;
      sendRun(all.slice(i, j));
      i = j;
    }
  };
  const enqueue = (req: RedisRequest, resolve: (a: RedisAnswer) => void): void => {
    if (turn.length === 0) setImmediate(flush);
    turn.push({ req, resolve });
  };
  const ask = (req: RedisRequest): Promise<RedisAnswer> => new Promise((resolve) => enqueue(req, resolve));
  const replyOf = (a: RedisAnswer): Reply => (a.type === 'RedisAnswer' ? a.reply : err('ERR unexpected answer'));
  const askReply = (req: RedisRequest): Promise<Reply> => new Promise((resolve) => enqueue(req, (a) => resolve(replyOf(a))));
  const blocked = new BlockedClients(
    {
      write: (db, argv) => askReply({ type: 'RedisWrite', db, commands: [argv], exec: false, watched: [] }),
      read: (db, argv) => askReply({ type: 'RedisRead', db, argv, local: false }),
      watch: async (keys, watch) => {
        const msg: RedisPubsubMsg = { type: 'RedisReadyWatch', keys, watch };
        if (!watch && gateway.send !== undefined) gateway.send(`${node}/redis`, msg);
        else await gateway.ask(`${node}/redis`, msg, askTimeoutMs);
      },
    },
    `${node}:${now()}:${Math.random().toString(36).slice(2, 10)}`,
    now,
    timers,
  );
  return {
    execute(client, argv, cmd) {
      const s = state(client);
      const name = cmd.name;
      if (s.queue !== null && name !== 'exec' && name !== 'discard' && name !== 'multi' && name !== 'watch') {
        const c = commandOf(argv);
        if (!('run' in c)) {
          s.queueFailed = true;
          return c;
        }
        if (s.queue.length >= multiQueuedMax) {
          s.queueFailed = true;
          return err(`ERR more than ${multiQueuedMax} commands queued`);
        }
        s.queue.push(argv);
        return { kind: 'Simple', text: 'QUEUED' };
      }
      switch (name) {
        case 'multi':
          if (s.queue !== null) return err('ERR MULTI calls can not be nested');
          s.queue = [];
          s.queueFailed = false;
          return ok;
        case 'discard':
          if (s.queue === null) return err('ERR DISCARD without MULTI');
          s.queue = null;
          s.watched = [];
          return ok;
        case 'unwatch':
          s.watched = [];
          return ok;
        case 'readonly':
        case 'readwrite':
          s.readonly = name === 'readonly';
          return ok;
        case 'exec': {
          if (s.queue === null) return err('ERR EXEC without MULTI');
          const queue = s.queue;
          const watched = s.watched;
          const failed = s.queueFailed;
          s.queue = null;
          s.watched = [];
          if (failed) return err('EXECABORT Transaction discarded because of previous errors.');
          const bytes = queue.reduce((n, a) => n + argvBytes(a), 0);
          if (bytes > keyspaceWriteBytesMax) return err(tooLarge(bytes));
          const t = now();
          // a command that fails normalisation fails the same way when it applies: logged as sent, its error in place
          const commands = queue.map((a) => {
            const n = normalize(a, t);
            return 'kind' in n ? a : n;
          });
          return askReply({ type: 'RedisWrite', db: client.db, commands, exec: true, watched });
        }
        case 'watch': {
          if (s.queue !== null) return err('ERR WATCH inside MULTI is not allowed');
          const keys = argv.slice(1);
          if (s.watched.length + keys.length > watchedKeysMax) return err(`ERR more than ${watchedKeysMax} watched keys`);
          const db = client.db;
          return ask({ type: 'RedisWatch', db, keys, local: s.readonly }).then((a) => {
            if (a.type !== 'RedisRevisions') return a.reply;
            keys.forEach((key, i) => s.watched.push({ db, key, revision: a.revisions[i]! }));
            return ok;
          });
        }
      }
      const c = commandOf(argv);
      if (!('run' in c)) return c;
      const blocking = blockingCommands.get(c.name);
      if (blocking !== undefined && blocking.blocks?.(argv) !== false) {
        if (name !== 'xread') return blocked.run(client.id, client.db, argv, blocking);
        const read = (a: Argv): Promise<Reply> => askReply({ type: 'RedisRead', db: client.db, argv: a, local: false });
        return lastIdsResolved(argv, blocking.keys(argv), read).then((a) => blocked.run(client.id, client.db, a, blocking));
      }
      if (c.kind === 'read') return askReply({ type: 'RedisRead', db: client.db, argv, local: s.readonly });
      const bytes = argvBytes(argv);
      if (bytes > keyspaceWriteBytesMax) return err(tooLarge(bytes));
      const n = c.normalize === undefined ? argv : c.normalize(argv, now());
      if ('kind' in n) return n;
      return askReply({ type: 'RedisWrite', db: client.db, commands: [n], exec: false, watched: [] });
    },
    refused(client) {
      const s = clients.get(client.id);
      if (s !== undefined && s.queue !== null) s.queueFailed = true;
    },
    release(client) {
      clients.delete(client.id);
      blocked.release(client.id);
    },
    keysReady: (keys) => blocked.keysReady(keys),
    keysLost: () => blocked.keysLost(),
    unblock: (id, error) => blocked.unblock(id, error),
    blockedClients: () => blocked.blockedCount(),
    isBlocked: (id) => blocked.isBlocked(id),
  };
}

const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

/** The stream's last generated id from an XINFO STREAM reply (0-0 for a missing key), or null for another error. */
function lastGeneratedId(r: Reply): Uint8Array | null {
  if (r.kind === 'Error') return r.text === 'ERR no such key' ? Buffer.from('0-0') : null;
  if (r.kind !== 'Map') return null;
  const e = r.entries.find(([k]) => k.kind === 'Bulk' && text(k.bytes) === 'last-generated-id');
  return e !== undefined && e[1].kind === 'Bulk' ? e[1].bytes : null;
}

/**
 * XREAD BLOCK's `$` ids made concrete before it blocks (the stream's last id now, 0-0 for a missing key, as Redis
 * resolves it when the command arrives), so that a serve later means "entries after that id". A key of another
 * type keeps its `$`: the attempt answers WRONGTYPE.
 */
async function lastIdsResolved(argv: Argv, keys: readonly Uint8Array[], read: (a: Argv) => Promise<Reply>): Promise<Argv> {
  const a = [...argv];
  const idsAt = a.length - keys.length;
  for (let i = 0; i < keys.length; i++) {
    if (text(a[idsAt + i]!) !== '$') continue;
    const id = lastGeneratedId(await read([Buffer.from('XINFO'), Buffer.from('STREAM'), keys[i]!]));
    if (id !== null) a[idsAt + i] = id;
  }
  return a;
}
