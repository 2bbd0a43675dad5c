/** Actor kinds of a conclave node, loaded by workers and node processes by URL. */
import type { ActorKinds } from '../src/kernel/actor.js';
import { eurekaHttpPeer } from './eureka-http-peer.js';
import { registry } from './registry.js';

export const kinds: ActorKinds = { registry, eurekaHttpPeer };
