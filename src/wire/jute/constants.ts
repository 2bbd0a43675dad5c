/** ZooKeeper 3.8 protocol constants (ZooDefs.OpCode, KeeperException.Code, Watcher, CreateMode, Perms). */
import { CreateMode, Err, Perms } from '../../protocol/txn.js';

export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;
export type OpCodeName = keyof typeof OpCode;

const opNames = new Map<number, OpCodeName>(Object.entries(OpCode).map(([k, v]) => [v, k as OpCodeName]));
/** `getData` for 4; `op<n>` for an unknown code. */
export function opCodeName(code: number): string {
  return opNames.get(code) ?? `op${code}`;
}

/** KeeperException.Code: one table for the whole project (src/protocol/txn.ts). */
export { Err };
export type ErrName = keyof typeof Err;

const errNames = new Map<number, ErrName>(Object.entries(Err).map(([k, v]) => [v, k as ErrName]));
export function errName(code: number): string {
  return errNames.get(code) ?? `ERR${code}`;
}

/** Special xids (ClientCnxn). Client xids for ordinary requests start at 1. */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;

/** Watcher.Event.EventType. 5–7 are generated client-side only. */
export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;

/** Watcher.Event.KeeperState. Server-sent notifications carry SyncConnected. */
export const KeeperState = {
  Unknown: -1,
  Disconnected: 0,
  NoSyncConnected: 1,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;

/** CreateRequest.flags and ACL.perms bits: the protocol's tables (src/protocol/txn.ts). */
export { CreateMode, Perms };

/** AddWatchRequest.mode. */
export const AddWatchMode = { PERSISTENT: 0, PERSISTENT_RECURSIVE: 1 } as const;

/** CheckWatchesRequest/RemoveWatchesRequest.type (Watcher.WatcherType). */
export const WatcherType = { Children: 1, Data: 2, Any: 3 } as const;

/** ConnectRequest/Response.protocolVersion. */
export const protocolVersion = 0;
/** Length of a session password in ConnectResponse (the C client copies exactly 16 bytes). */
export const sessionPasswdBytes = 16;
