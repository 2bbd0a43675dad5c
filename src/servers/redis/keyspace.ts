/**
 * The RESP front end's keyspace backend: the keyspace commands, MULTI/EXEC/DISCARD/WATCH/UNWATCH and
 * READONLY/READWRITE, answered through a node's `redis` actor (actors/redis.ts). See ../../../docs/resp.md.
 *
 * - A write is normalised here (relative TTLs become absolute deadlines with this node's clock) and sent as one txn.
 * - MULTI queues commands (a command the keyspace refuses in any state, unknown or of the wrong arity, answers its
 *   error and makes EXEC answer EXECABORT); EXEC sends the block as ONE txn with the revisions WATCH read, so the
 *   watch check and the commands apply atomically on every replica.
 * - Reads are linearizable unless the connection said READONLY (then they read this node's state).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import type { RedisAnswer, RedisRequestMsg, WatchedKey } from '../../protocol/keyspace.js';
import type { Address, AnyMessage, Message } from '../../protocol/envelope.js';
import { commandOf, keyspaceCommands, normalize } from '../../core/keyspace/index.js';
import type { RedisBackend, RedisClientContext } from './connection.js';
import { commandTable, redisCommandSpecs, type CommandTable, type RedisCommandSpec } from './commands.js';
import { startRedisServer, type RedisListener, type RedisServerOptions } from './listener.js';
import { nodePubsub } from './pubsub.js';
import { nodeService } from './node-service.js';

/** Commands one MULTI may queue, at most (beyond: an error, and EXEC aborts). */
export const multiQueuedMax = 10_000;
/** Keys one connection may WATCH, at most. */
export const watchedKeysMax = 10_000;
/** The front end's ask to the node allows this much beyond the actor's own request timeout. */
const askTimeoutMs = 12_000;

export interface RedisGateway {
  ask<R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R>;
  send?(to: Address, msg: AnyMessage): void;
}

const spec = (name: string, arity: number, flags: string[], categories: string[], firstKey = 0, lastKey = 0, step = 0): RedisCommandSpec => ({ name, arity, flags, firstKey, lastKey, step, categories });

/** The front end's table: the connection commands, the keyspace's, transactions and READONLY/READWRITE. */
export function keyspaceCommandTable(): CommandTable {
  const ks: RedisCommandSpec[] = [];
  for (const c of keyspaceCommands.values()) {
    if (c.kind === 'connection' || c.name.startsWith('_')) continue; // SELECT: the connection's own; `_` names: internal
    const read = c.kind === 'read';
    ks.push(spec(c.name, c.arity, read ? ['readonly'] : ['write'], [read ? 'read' : 'write', 'keyspace'], c.firstKey, c.lastKey, c.keyStep));
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

export function keyspaceBackend(gateway: RedisGateway, node: string, now: () => number = Date.now): RedisBackend {
  const clients = new Map<number, ClientState>();
  const state = (c: RedisClientContext): ClientState => {
    let s = clients.get(c.id);
    if (s === undefined) clients.set(c.id, (s = { queue: null, queueFailed: false, watched: [], readonly: false }));
    return s;
  };
  const ask = async (msg: RedisRequestMsg): Promise<RedisAnswer> => {
    try {
      return await gateway.ask<RedisAnswer>(`${node}/redis`, msg, askTimeoutMs);
    } catch (e) {
      return { type: 'RedisAnswer', reply: err(`TRYAGAIN ${node} did not answer (${(e as Error).message})`) };
    }
  };
  const replyOf = (a: RedisAnswer): Reply => (a.type === 'RedisAnswer' ? a.reply : err('ERR unexpected answer'));
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
          const t = now();
          // a command that fails normalisation fails the same way when it applies: logged as sent, its error in place
          const commands = queue.map((a) => {
            const n = normalize(a, t);
            return 'kind' in n ? a : n;
          });
          return ask({ type: 'RedisWrite', db: client.db, commands, exec: true, watched }).then(replyOf);
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
      if (c.kind === 'read') return ask({ type: 'RedisRead', db: client.db, argv, local: s.readonly }).then(replyOf);
      const n = normalize(argv, now());
      if ('kind' in n) return n;
      return ask({ type: 'RedisWrite', db: client.db, commands: [n], exec: false, watched: [] }).then(replyOf);
    },
    refused(client) {
      const s = clients.get(client.id);
      if (s !== undefined && s.queue !== null) s.queueFailed = true;
    },
    release(client) {
      clients.delete(client.id);
    },
  };
}

/** A RESP port per node, each answered through its node's `redis` actor. */
export async function startRedisServers(
  gateway: RedisGateway,
  nodes: readonly { node: string; port: number }[],
  opts: Omit<RedisServerOptions, 'port' | 'table'> = {},
): Promise<Map<string, RedisListener>> {
  const out = new Map<string, RedisListener>();
  try {
    for (const n of nodes) {
      const listener = await startRedisServer(keyspaceBackend(gateway, n.node), {
        ...opts,
        port: n.port,
        table: keyspaceCommandTable(),
        pubsub: nodePubsub(gateway, n.node),
        node: nodeService(gateway, n.node),
      });
      out.set(n.node, listener);
    }
  } catch (e) {
    for (const l of out.values()) await l.close();
    throw e;
  }
  return out;
}
