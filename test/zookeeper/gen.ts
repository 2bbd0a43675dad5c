/** Test helper: seeded random jute values, requests and responses covering every type. */
import { Rng } from '../../src/core/rng.js';
import type { ACL, MultiResult, MultiWriteOp, Stat, ZkRequest, ZkResponse } from '../../src/wire/jute/index.js';

const alphabet = ['a', 'b', 'z', '0', '9', '-', '_', '.', 'é', '漢', '😀', ' '];

export class Gen {
  constructor(readonly rng: Rng) {}
  int(): number {
    return this.rng.uint32() | 0;
  }
  small(max = 5): number {
    return this.rng.int(0, max);
  }
  long(): bigint {
    return BigInt.asIntN(64, (BigInt(this.rng.uint32()) << 32n) | BigInt(this.rng.uint32()));
  }
  bool(): boolean {
    return this.rng.chance(0.5);
  }
  str(maxLen = 12): string {
    let s = '';
    const n = this.rng.int(0, maxLen);
    for (let i = 0; i < n; i++) s += this.rng.pick(alphabet);
    return s;
  }
  path(): string {
    let p = '';
    const depth = this.rng.int(1, 4);
    for (let i = 0; i < depth; i++) p += '/' + this.str(6);
    return p;
  }
  paths(): string[] {
    return Array.from({ length: this.small(4) }, () => this.path());
  }
  bytes(maxLen = 40): Uint8Array {
    return Uint8Array.from({ length: this.rng.int(0, maxLen) }, () => this.rng.int(0, 255));
  }
  data(): Uint8Array | null {
    return this.rng.chance(0.15) ? null : this.bytes();
  }
  acl(): ACL[] {
    return Array.from({ length: this.small(3) }, () => ({ perms: this.rng.int(0, 31), id: { scheme: this.str(6), id: this.str(10) } }));
  }
  nullableStr(): string | null {
    return this.rng.chance(0.3) ? null : this.str();
  }
  stat(): Stat {
    return {
      czxid: this.long(),
      mzxid: this.long(),
      ctime: this.long(),
      mtime: this.long(),
      version: this.int(),
      cversion: this.int(),
      aversion: this.int(),
      ephemeralOwner: this.long(),
      dataLength: this.int(),
      numChildren: this.int(),
      pzxid: this.long(),
    };
  }
  writeOp(): MultiWriteOp {
    const f = () => ({ path: this.path(), data: this.data(), acl: this.acl(), flags: this.rng.int(0, 6) });
    switch (this.rng.int(0, 6)) {
      case 0:
        return { type: 'Create', ...f() };
      case 1:
        return { type: 'Create2', ...f() };
      case 2:
        return { type: 'CreateContainer', ...f() };
      case 3:
        return { type: 'CreateTTL', ...f(), ttl: this.long() };
      case 4:
        return { type: 'Delete', path: this.path(), version: this.int() };
      case 5:
        return { type: 'SetData', path: this.path(), data: this.data(), version: this.int() };
      default:
        return { type: 'Check', path: this.path(), version: this.int() };
    }
  }
  /** One request of every decodable type, in order. */
  everyRequest(): ZkRequest[] {
    const single = (): MultiWriteOp[] => Array.from({ length: 7 }, () => this.writeOp());
    return [
      ...single(),
      { type: 'Create', path: this.path(), data: this.data(), acl: this.acl(), flags: 1 },
      { type: 'Create2', path: this.path(), data: this.data(), acl: this.acl(), flags: 2 },
      { type: 'CreateContainer', path: this.path(), data: this.data(), acl: this.acl(), flags: 4 },
      { type: 'CreateTTL', path: this.path(), data: this.data(), acl: this.acl(), flags: 5, ttl: this.long() },
      { type: 'Delete', path: this.path(), version: this.int() },
      { type: 'DeleteContainer', path: this.path() },
      { type: 'Exists', path: this.path(), watch: this.bool() },
      { type: 'GetData', path: this.path(), watch: this.bool() },
      { type: 'SetData', path: this.path(), data: this.data(), version: this.int() },
      { type: 'GetACL', path: this.path() },
      { type: 'SetACL', path: this.path(), acl: this.acl(), version: this.int() },
      { type: 'GetChildren', path: this.path(), watch: this.bool() },
      { type: 'GetChildren2', path: this.path(), watch: this.bool() },
      { type: 'Sync', path: this.path() },
      { type: 'Check', path: this.path(), version: this.int() },
      { type: 'Multi', ops: single() },
      { type: 'Multi', ops: [] },
      {
        type: 'MultiRead',
        ops: Array.from({ length: this.small(4) + 1 }, () =>
          this.bool() ? { type: 'GetData' as const, path: this.path(), watch: this.bool() } : { type: 'GetChildren' as const, path: this.path(), watch: this.bool() },
        ),
      },
      {
        type: 'Reconfig',
        joiningServers: this.nullableStr(),
        leavingServers: this.nullableStr(),
        newMembers: this.nullableStr(),
        curConfigId: this.long(),
      },
      { type: 'CheckWatches', path: this.path(), watcherType: this.rng.int(1, 3) },
      { type: 'RemoveWatches', path: this.path(), watcherType: this.rng.int(1, 3) },
      { type: 'Auth', authType: 0, scheme: 'digest', auth: this.bytes() },
      { type: 'SetWatches', relativeZxid: this.long(), dataWatches: this.paths(), existWatches: this.paths(), childWatches: this.paths() },
      {
        type: 'SetWatches2',
        relativeZxid: this.long(),
        dataWatches: this.paths(),
        existWatches: this.paths(),
        childWatches: this.paths(),
        persistentWatches: this.paths(),
        persistentRecursiveWatches: this.paths(),
      },
      { type: 'Sasl', token: this.data() },
      { type: 'GetEphemerals', prefixPath: this.path() },
      { type: 'GetAllChildrenNumber', path: this.path() },
      { type: 'AddWatch', path: this.path(), mode: this.rng.int(0, 1) },
      { type: 'WhoAmI' },
      { type: 'Ping' },
      { type: 'CloseSession' },
      { type: 'Unknown', opCode: 999 },
    ];
  }
  multiResult(): MultiResult {
    switch (this.rng.int(0, 7)) {
      case 0:
        return { type: 'Create', path: this.path() };
      case 1:
        return { type: 'Create2', path: this.path(), stat: this.stat() };
      case 2:
        return { type: 'Delete' };
      case 3:
        return { type: 'SetData', stat: this.stat() };
      case 4:
        return { type: 'Check' };
      case 5:
        return { type: 'GetData', data: this.data(), stat: this.stat() };
      case 6:
        return { type: 'GetChildren', children: this.paths() };
      default:
        return { type: 'Error', err: -this.rng.int(0, 127) };
    }
  }
  /** [opCode, response] for every response shape. */
  everyResponse(): [number, ZkResponse][] {
    return [
      [1, { type: 'Create', path: this.path() }],
      [15, { type: 'Create2', path: this.path(), stat: this.stat() }],
      [19, { type: 'Create2', path: this.path(), stat: this.stat() }],
      [21, { type: 'Create2', path: this.path(), stat: this.stat() }],
      [3, { type: 'Exists', stat: this.stat() }],
      [4, { type: 'GetData', data: this.data(), stat: this.stat() }],
      [16, { type: 'GetData', data: this.data(), stat: this.stat() }],
      [5, { type: 'SetData', stat: this.stat() }],
      [6, { type: 'GetACL', acl: this.acl(), stat: this.stat() }],
      [7, { type: 'SetACL', stat: this.stat() }],
      [8, { type: 'GetChildren', children: this.paths() }],
      [12, { type: 'GetChildren2', children: this.paths(), stat: this.stat() }],
      [9, { type: 'Sync', path: this.path() }],
      [14, { type: 'Multi', results: Array.from({ length: this.small(6) }, () => this.multiResult()) }],
      [22, { type: 'Multi', results: Array.from({ length: this.small(6) }, () => this.multiResult()) }],
      [103, { type: 'GetEphemerals', ephemerals: this.paths() }],
      [104, { type: 'GetAllChildrenNumber', totalNumber: this.int() }],
      [107, { type: 'WhoAmI', clientInfo: Array.from({ length: this.small(3) }, () => ({ authScheme: this.str(), user: this.str() })) }],
      [102, { type: 'Sasl', token: this.data() }],
      [2, { type: 'Empty' }],
      [11, { type: 'Empty' }],
      [100, { type: 'Empty' }],
      [101, { type: 'Empty' }],
      [106, { type: 'AddWatch' }],
      [-11, { type: 'Empty' }],
    ];
  }
}
