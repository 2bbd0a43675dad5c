/** Every actor kind of a conclave node, loaded by URL in workers and node processes (RuntimeOptions.kindsModule). */
import type { ActorKinds } from '../src/kernel/actor.js';
import { broadcast } from './broadcast.js';
import { election } from './election.js';
import { eurekaHttpPeer } from './eureka-http-peer.js';
import { redis } from './redis.js';
import { registry } from './registry.js';
import { storageActor } from './storage.js';
import { zookeeper } from './zookeeper.js';

export const kinds: ActorKinds = {
  election,
  broadcast,
  storage: storageActor,
  zookeeper,
  redis,
  registry,
  eurekaHttpPeer,
};
