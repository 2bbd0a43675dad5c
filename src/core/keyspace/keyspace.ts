/**
 * The Redis keyspace as a replicated state machine: `normalize` (leader, before logging), `apply` (every replica,
 * in zxid order), `read` (local state, never deletes), `expiredKeys` (the leader's active expiry), `revision`
 * (WATCH), `digest`. See ../../../docs/keyspace.md.
 */
import type { KeyspaceApplied, KeyspaceEvent, KeyspaceTxn, RedisBatchItem } from '../../protocol/keyspace.js';
import type { Argv, Reply } from '../../protocol/resp.js';
import { NULL_ARRAY, array, arityError, digestMod, err, latin1, mix52 } from './bytes.js';
import { type CommandSpec, arityOk, keyspaceCommands } from './commands.js';
import { Ctx, KeyspaceState } from './state.js';
import { decodeBatchItems } from '../tree/codec.js';
import { aclOf } from './acl.js';

function unknownCommand(a: Argv): Reply {
  const name = a.length > 0 ? latin1(a[0]!) : '';
  const args = a.slice(1).map((b) => `'${latin1(b)}' `).join('');
  return err(`ERR unknown command '${name}', with args beginning with: ${args}`);
}

/** The spec of argv's command, or the error a client gets (unknown command, wrong arity). */
export function commandOf(a: Argv): CommandSpec | Reply {
  const spec = a.length > 0 ? keyspaceCommands.get(latin1(a[0]!).toLowerCase()) : undefined;
  if (spec === undefined) return unknownCommand(a);
  if (!arityOk(spec, a.length)) return arityError(spec.name);
  return spec;
}

/**
 * A write as it goes into the log: relative deadlines made absolute with the leader's `nowMs`, or the error
 * reply when the command cannot be valid in any state (nothing is logged for it). Pure.
 */
export function normalize(a: Argv, nowMs: number): Argv | Reply {
  const spec = commandOf(a);
  if (!('run' in spec)) return spec;
  return spec.normalize !== undefined ? spec.normalize(a, nowMs) : a;
}

export class Keyspace extends KeyspaceState {
  /** The keys' digest mixed with the ACL state's (acl.ts). */
  override digest(): number {
    return (super.digest() + mix52(aclOf(this).digest(), 0x61636c)) % digestMod;
  }

  /** The keys' digest alone (what version 1 snapshots recorded). */
  keysDigest(): number {
    return super.digest();
  }

  /** Apply a committed txn; identical results on every replica given identical state. */
  apply(txn: KeyspaceTxn): KeyspaceApplied {
    const events: KeyspaceEvent[] = [];
    switch (txn.type) {
      case 'RedisExpire': {
        for (const { db, key } of txn.keys) {
          const c = new Ctx(this, db, txn.timeMs, true, events, 0);
          c.lookup(latin1(key));
        }
        return { reply: { kind: 'Int', value: events.length }, events, db: 0 };
      }
      case 'RedisCommands':
        return { ...this.commands(txn, txn.timeMs, events), events };
      case 'RedisBatch': {
        const items = decodeBatchItems(txn.items).map((it, i) => this.commands(it, txn.timeMs, events, i));
        return { reply: { kind: 'Int', value: items.length }, events, db: 0, items };
      }
    }
  }

  /**
   * One command, or an EXEC block after its WATCH check: its reply and the db selected after it. `item`: its index
   * in a `RedisBatch` (published events carry it and the command's index).
   */
  private commands(t: RedisBatchItem, timeMs: number, events: KeyspaceEvent[], item = 0): { reply: Reply; db: number } {
    if (t.watched.some((w) => this.revision(w.db, w.key, timeMs) !== w.revision)) return { reply: NULL_ARRAY, db: t.db };
    const c = new Ctx(this, t.db, timeMs, true, events, 0);
    c.item = item;
    if (!t.exec) return { reply: this.run(c, t.commands[0]!), db: c.db };
    const replies = t.commands.map((a, i) => {
      c.command = i;
      return this.run(c, a);
    });
    return { reply: array(replies), db: c.db };
  }

  private run(c: Ctx, a: Argv): Reply {
    const spec = commandOf(a);
    if (!('run' in spec)) return spec;
    return spec.run(c, a);
  }

  /** A read command on local state at `nowMs` (keys past their deadline are absent; nothing is deleted). */
  read(db: number, a: Argv, nowMs: number, draw = 0): Reply {
    const spec = commandOf(a);
    if (!('run' in spec)) return spec;
    if (spec.kind !== 'read') return err(`ERR '${spec.name}' is not a read command`);
    return spec.run(new Ctx(this, db, nowMs, false, [], draw), a);
  }
}
