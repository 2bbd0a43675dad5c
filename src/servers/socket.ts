/** What the client-facing TCP front ends (ZooKeeper, RESP) share about their sockets. */
import type { Socket } from 'node:net';

/** A dual-stack socket's IPv4-mapped address (`::ffff:1.2.3.4`) as the IPv4 one, as a Java server reports it. */
export function unmapped(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m ? m[1]! : addr;
}

/**
 * A write function that corks the socket at its first write and uncorks it when `flushOn` runs the callback
 * (`process.nextTick`: after the current batch of work; `setImmediate`: when the event-loop turn ends), so the
 * writes in between leave together in one writev: a pipelining client's replies cost one system call per batch.
 */
export function corkedWrite(socket: Socket, flushOn: (uncork: () => void) => void): (bytes: Uint8Array) => void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  return (bytes) => {
    if (!corked) {
      corked = true;
      socket.cork();
      flushOn(uncork);
    }
    socket.write(bytes);
  };
}
