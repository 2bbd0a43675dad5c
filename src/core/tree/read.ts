import { Err, Perms, type ReadRequest, type ReadResult } from '../../protocol/txn.js';
import { assertNever } from '../never.js';
import { anonymous, maskDigests, permitted, type AuthInfo } from './acl.js';
import { childPath, pathError } from './path.js';
import type { DataTree } from './tree.js';

/** Reads bound: a GetAllChildrenNumber walk visits at most this many nodes. */
export const descendantsWalkMax = 10_000_000;

/** Serve a read from the local tree (sequential consistency). Bad input gives an Error result, never a throw. */
export function read(tree: DataTree, req: ReadRequest, auth: AuthInfo = anonymous): ReadResult {
  switch (req.type) {
    case 'GetData': {
      if (pathError(req.path) !== null) return { type: 'Error', err: Err.BADARGUMENTS };
      const f = tree.slotOf(req.path);
      if (f === undefined) return { type: 'Error', err: Err.NONODE };
      if (!permitted(tree.getAcl(req.path)!, Perms.READ, auth)) return { type: 'Error', err: Err.NOAUTH };
      return { type: 'Data', data: tree.getData(req.path)!, stat: tree.statOf(f) };
    }
    case 'Exists': {
      if (pathError(req.path) !== null) return { type: 'Error', err: Err.BADARGUMENTS };
      const st = tree.stat(req.path);
      return st === undefined ? { type: 'Error', err: Err.NONODE } : { type: 'Stat', stat: st };
    }
    case 'GetChildren': {
      if (pathError(req.path) !== null) return { type: 'Error', err: Err.BADARGUMENTS };
      const st = tree.stat(req.path);
      if (st === undefined) return { type: 'Error', err: Err.NONODE };
      if (!permitted(tree.getAcl(req.path)!, Perms.READ, auth)) return { type: 'Error', err: Err.NOAUTH };
      return { type: 'Children', children: tree.children(req.path)!, stat: st };
    }
    case 'GetACL': {
      if (pathError(req.path) !== null) return { type: 'Error', err: Err.BADARGUMENTS };
      const st = tree.stat(req.path);
      if (st === undefined) return { type: 'Error', err: Err.NONODE };
      const acl = tree.getAcl(req.path)!;
      if (!permitted(acl, Perms.READ | Perms.ADMIN, auth)) return { type: 'Error', err: Err.NOAUTH };
      return { type: 'ACL', acl: permitted(acl, Perms.ADMIN, auth) ? acl : maskDigests(acl), stat: st };
    }
    case 'GetAllChildrenNumber': {
      if (pathError(req.path) !== null) return { type: 'Error', err: Err.BADARGUMENTS };
      if (!tree.has(req.path)) return { type: 'Error', err: Err.NONODE };
      let count = 0;
      const stack = [req.path];
      while (stack.length > 0 && count < descendantsWalkMax) {
        const p = stack.pop()!;
        const set = tree.childSet(p);
        if (set === undefined) continue;
        for (const name of set) {
          count++;
          stack.push(childPath(p, name));
        }
      }
      return { type: 'Count', count };
    }
    case 'GetTreeSize':
      return { type: 'TreeSize', znodes: tree.size, approximateDataSize: tree.approximateDataSize() };
    case 'GetEphemerals': {
      const set = tree.ephemerals.get(req.sessionId);
      const prefix = req.prefix === '' ? '/' : req.prefix;
      const paths = set === undefined ? [] : [...set].filter((p) => p.startsWith(prefix)).sort();
      return { type: 'Paths', paths };
    }
    default:
      return assertNever(req);
  }
}

/**
 * The leader's container/TTL reaper scan (ContainerManager): paths to submit as DeleteContainer, at most `max`.
 * Containers: childless and had a child (stored cversion > 0), or never used for `neverUsedMs` (if > 0) since
 * creation; TTL nodes: childless and `nowMs - mtime > ttl`. Deterministic order (insertion order of the sets).
 */
export function reapable(tree: DataTree, nowMs: number, max: number, neverUsedMs = 0): string[] {
  const out: string[] = [];
  for (const p of tree.containers) {
    if (out.length >= max) return out;
    const f = tree.fields(p)!;
    if (f.numChildren > 0) continue;
    if (f.cversion > 0 || (neverUsedMs > 0 && nowMs - f.ctime > neverUsedMs)) out.push(p);
  }
  for (const p of tree.ttls) {
    if (out.length >= max) return out;
    const f = tree.fields(p)!;
    if (f.numChildren === 0 && nowMs - f.mtime > f.owner) out.push(p);
  }
  return out;
}
