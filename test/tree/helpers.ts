import { DataTree } from '../../src/core/tree/tree.js';
import { prepareLogged, type PrepareOptions } from '../../src/core/tree/prepare.js';
import { SessionIds } from '../../src/core/sessions/index.js';
import type { AuthInfo } from '../../src/core/tree/acl.js';
import { OPEN_ACL_UNSAFE, type Acl, type Applied, type Txn, type WriteOpRequest, type WriteRequest } from '../../src/protocol/txn.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A single replica as the log drives it: `prepare` makes the txn a front end logs (a client's `Request`, zxid
 * assigned, not validated), `apply` runs it as storage does at commit (validated against the tree at its zxid, then
 * applied) and records the final txn in `log`. Pipelined requests (several prepared before their applies) each see
 * the ones applied before them.
 */
export class Harness {
  tree = DataTree.fresh();
  opts: PrepareOptions = {};
  zxid = 0x1_0000_0000;
  timeMs = 1_000_000;
  cxid = 0;
  /** The final txns, in apply order. */
  log: Txn[] = [];
  ids = new SessionIds(1, 123_456);

  prepare(req: WriteRequest, sessionId = 0, auth?: AuthInfo): Txn {
    this.zxid++;
    this.timeMs += 10;
    return { sessionId, cxid: ++this.cxid, zxid: this.zxid, timeMs: this.timeMs, body: { type: 'Request', request: req, ...(auth !== undefined ? { auth } : {}) } };
  }

  apply(logged: Txn): Applied {
    const t = prepareLogged(this.tree, logged, this.opts);
    this.log.push(t);
    return this.tree.apply(t);
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
