/** The node behind a RESP port, as INFO, WAIT and SAVE ask it (server-commands.ts): through the node's actors. */
import type { RedisAnswer, RedisRequestMsg, RedisStatusReply } from '../../protocol/keyspace.js';
import type { ZkReply } from '../../protocol/zookeeper.js';
import type { RedisGateway } from './keyspace.js';
import type { NodeStatus, RedisNodeService } from './server-commands.js';

/** How long INFO waits for the node's actors. */
export const nodeStatusAskTimeoutMs = 2_000;

export function nodeService(gateway: RedisGateway, node: string): RedisNodeService {
  return {
    async status(): Promise<NodeStatus> {
      const [zk, redis] = await Promise.all([
        gateway.ask<ZkReply>(`${node}/zookeeper`, { type: 'ZkStatus' }, nodeStatusAskTimeoutMs),
        gateway.ask<RedisStatusReply>(`${node}/redis`, { type: 'RedisStatus' } satisfies RedisRequestMsg, nodeStatusAskTimeoutMs),
      ]);
      if (zk.type !== 'ZkStatusReply' || redis.type !== 'RedisStatusReply') throw new Error('unexpected status answer');
      return { role: zk.role, leader: zk.leaderNode, epoch: zk.epoch, lastZxid: Math.max(zk.appliedZxid, redis.appliedZxid), members: redis.members, voters: redis.voters, expiredKeys: redis.expiredKeys };
    },
    async keyspaceInfo(): Promise<string> {
      const a = await gateway.ask<RedisAnswer>(`${node}/redis`, { type: 'RedisRead', db: 0, argv: [Buffer.from('_keyspaceinfo')], local: true } satisfies RedisRequestMsg, nodeStatusAskTimeoutMs);
      return a.type === 'RedisAnswer' && a.reply.kind === 'Bulk' ? Buffer.from(a.reply.bytes).toString('latin1') : '';
    },
    snapshot() {
      gateway.send?.(`${node}/storage`, { type: 'SnapshotTick' });
    },
  };
}
