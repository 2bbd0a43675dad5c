import type { Address, AnyMessage, Message } from '../../protocol/envelope.js';

/** How a front end talks to the actor system; a `Runtime` (src/runtime/driver.ts) or a kernel `Host` satisfies it. */
export interface Gateway {
  ask<R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R>;
  send(to: Address, msg: AnyMessage): void;
}
