/**
 * The failure lab's record of what clients did: one `HistoryOp` per client operation, written one per line to a
 * run's `history.jsonl` (docs/lab.md). The checkers (`src/lab/check/`) read it; the workload generators and the
 * runtimes' client wrappers write it. Times are milliseconds since the run began (virtual time under the sim).
 */

/** ok: the client got an answer; fail: it surely did not take effect (a refused write); unknown: no answer. */
export type Outcome = 'ok' | 'fail' | 'unknown';

/** `multi`: a ZooKeeper multi (a write to several paths; `path` is the first). */
export type ZkOpName = 'create' | 'setData' | 'delete' | 'multi' | 'getData' | 'syncGetData' | 'exists' | 'getChildren';
export type RedisOpName = 'set' | 'get' | 'incr' | 'cas' | 'rpush' | 'lrange' | 'multi' | 'lpop' | 'blpop';

interface OpBase {
  /** Unique in the run, in invocation order. */
  readonly id: number;
  /** A client (one connection at a time, its operations sequential). */
  readonly client: string;
  /** The node the client was connected to when it invoked the op (null: not connected). */
  readonly node: string | null;
  readonly callMs: number;
  /** When the answer came back; null when it never did (outcome unknown). */
  readonly returnMs: number | null;
  readonly outcome: Outcome;
  /** The error text of a failed or unknown op. */
  readonly error?: string;
}

/**
 * A ZooKeeper operation on one znode. Values written are unique per path (the generator's job), so a read names
 * its writer. `zxid`: for a write, the zxid the server stamped it with (the Stat's mzxid; for delete, absent);
 * for a read, the mzxid of the value read. `version`: the znode's data version after a write / of the value read.
 * `session`: the session id (hex) the op ran in; sequential consistency is checked per session.
 * `stateZxid`: when known, the zxid of the whole state the server answered from (ZooKeeper's reply header zxid);
 * it pins a read's place in the write order exactly, where the mzxid only bounds it. Zxids are strings: `0x` hex
 * (`0x100000003`), `0x<epoch>_<counter>` (zxidHex) or decimal.
 */
export interface ZkOp extends OpBase {
  readonly kind: 'zk';
  readonly op: ZkOpName;
  readonly path: string;
  readonly session: string | null;
  /** Written (create/setData) or read (getData/syncGetData); null for a read of a missing znode. */
  readonly value?: string | null;
  readonly zxid?: string;
  readonly version?: number;
  readonly stateZxid?: string;
  /** A read preceded by a sync in its session (linearizable, as `syncGetData`). */
  readonly synced?: boolean;
}

/**
 * A Redis operation. set/get: a register of unique string values. incr: `value` is the new count returned. cas: an
 * increment by compare-and-set (WATCH k, GET k, MULTI, SET k to one more, EXEC): ok with `value` the count it wrote
 * when EXEC committed, fail when WATCH aborted it (so WATCH letting two through shows as two writes of one count).
 * rpush: `value` the element appended (unique), `length` the list length returned. lrange: `list` the whole list
 * read. multi: a transaction of `txn` micro-ops ([op, key, value]) with `txnResults` the replies, in order.
 * lpop/blpop: `value` the element popped, null when the list was empty (BLPOP: its timeout ran out). `final` marks
 * the reads made once every fault is undone (a queue's end state).
 */
export interface RedisOp extends OpBase {
  readonly kind: 'redis';
  readonly op: RedisOpName;
  readonly key: string;
  readonly value?: string | number | null;
  readonly length?: number;
  readonly list?: readonly string[];
  readonly txn?: readonly (readonly ['append' | 'read', string, string | null])[];
  readonly txnResults?: readonly (readonly string[] | number | null)[];
  readonly final?: boolean;
}

/**
 * A Eureka client's operation against one node's registry (`eureka`). `instance` is `APP/id`. register/renew/cancel:
 * `code` is the registry's answer (204/200, 404 for a renew of an unknown lease); `expiryMs` (register and renew)
 * how long after the op returned the lease may lawfully expire without another renew (twice the duration, as Eureka).
 * query: `instances` the `APP/id`s the node listed (sorted); `final` marks the sweep made once every fault is undone.
 */
export interface EurekaOp extends OpBase {
  readonly kind: 'eureka';
  readonly op: 'register' | 'renew' | 'cancel' | 'query';
  readonly instance: string;
  readonly code?: number;
  readonly expiryMs?: number;
  readonly instances?: readonly string[];
  readonly final?: boolean;
}

export type HistoryOp = ZkOp | RedisOp | EurekaOp;

/**
 * Workload generators move a register to a fresh key after this many operations on one key: the Redis register
 * search (src/lab/check/search.ts) is exponential in the concurrency within one key, so a key's history stays short.
 */
export const keyRotateOpsMax = 1000;

/** The verdict of a check: valid, a violation (with the ops that explain it), or unknown (budget spent). */
export interface Verdict {
  readonly verdict: 'valid' | 'violation' | 'unknown';
  /** One line per finding, in words. */
  readonly findings: readonly string[];
  /** The ids of the operations that explain the first finding. */
  readonly ops: readonly number[];
  /**
   * For `unknown`: how many ops were shown valid (every op of the parts checked in full, plus the longest prefix
   * the search linearized where it ran out of budget).
   */
  readonly validPrefix?: number;
  readonly checkedOps: number;
  readonly elapsedMs: number;
}
