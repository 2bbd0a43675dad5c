import type { Address, Message } from '../../protocol/envelope.js';

/** How a front end talks to the actor system; a `Runtime` (src/runtime/driver.ts) or a kernel `Host` satisfies it. */
export interface Gateway {
  ask<R extends Message = Message, T extends Message = Message>(to: Address, msg: T, timeoutMs: number): Promise<R>;
  send<T extends Message>(to: Address, msg: T): void;
}
