import { DataTree } from '../../src/core/tree/tree.js';
import { Preparer } from '../../src/core/tree/prepare.js';
import { SessionIds } from '../../src/core/sessions/index.js';
import type { AuthInfo } from '../../src/core/tree/acl.js';
import { OPEN_ACL_UNSAFE, type Acl, type Applied, type Txn, type WriteOpRequest, type WriteRequest } from '../../src/protocol/txn.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A single-replica pipeline: prepare (leader) → apply (every replica), with a zxid counter and a fake clock. */
export class Harness {
  tree = DataTree.fresh();
  prep = new Preparer(this.tree);
  zxid = 0x1_0000_0000;
  timeMs = 1_000_000;
  log: Txn[] = [];
  ids = new SessionIds(1, 123_456);

  prepare(req: WriteRequest, sessionId = 0, auth?: AuthInfo): Txn {
    this.zxid++;
    this.timeMs += 10;
    const t = this.prep.prepare(req, { zxid: this.zxid, timeMs: this.timeMs, sessionId, cxid: this.log.length + 1, auth });
    this.log.push(t);
    return t;
  }

  apply(t: Txn): Applied {
    const a = this.tree.apply(t);
    this.prep.committed(t.zxid);
    return a;
  }

  run(req: WriteRequest, sessionId = 0, auth?: AuthInfo): Applied {
    return this.apply(this.prepare(req, sessionId, auth));
  }

  session(timeoutMs = 30_000): number {
    const a = this.run({ type: 'CreateSession', sessionId: this.ids.take(), timeoutMs });
    if (a.result.type !== 'CreateSession') throw new Error('no session');
    return a.result.sessionId;
  }
}

export function create(path: string, data = '', mode = 0, acl: readonly Acl[] = OPEN_ACL_UNSAFE, ttlMs?: number): WriteOpRequest {
  return ttlMs === undefined
    ? { type: 'Create', path, data: enc(data), acl, mode }
    : { type: 'Create', path, data: enc(data), acl, mode, ttlMs };
}
