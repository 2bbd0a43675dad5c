/**
 * The raw baseline of the runtime benchmark: plain worker threads posting on a MessagePort, no actor runtime.
 * Modes: `sink` counts items and reports when it has `count`; `send` posts `count` envelope-shaped items in
 * batches of `batch`; `echo` bounces everything; `rtt` measures `count` single-message round trips.
 */
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

interface Job {
  readonly port: MessagePort;
  readonly mode: 'sink' | 'send' | 'echo' | 'rtt';
  readonly count: number;
  readonly batch: number;
}

/** Batches posted per event-loop turn by the sender, so it never floods the port unboundedly. */
const batchesPerTurnMax = 10;

parentPort!.on('message', ({ port, mode, count, batch }: Job) => {
  switch (mode) {
    case 'sink': {
      let seen = 0;
      port.on('message', (m: unknown[]) => {
        seen += m.length;
        if (seen >= count) {
          parentPort!.postMessage({ done: seen });
          seen = 0;
        }
      });
      return;
    }
    case 'echo':
      port.on('message', (m: unknown) => port.postMessage(m));
      return;
    case 'send': {
      let sent = 0;
      const turn = () => {
        for (let b = 0; b < batchesPerTurnMax && sent < count; b++) {
          const n = Math.min(batch, count - sent);
          const items = new Array(n);
          for (let i = 0; i < n; i++) items[i] = { to: 'n2/sink', from: 'n1/blaster', msg: { type: 'Item', i: sent + i } };
          port.postMessage(items);
          sent += n;
        }
        if (sent < count) setImmediate(turn);
      };
      turn();
      return;
    }
    case 'rtt': {
      const rtts: number[] = [];
      let t0 = performance.now();
      port.on('message', () => {
        rtts.push(performance.now() - t0);
        if (rtts.length >= count) {
          parentPort!.postMessage({ rtts });
          port.close();
          return;
        }
        t0 = performance.now();
        port.postMessage({ to: 'n2/sink', from: 'n1/blaster', msg: { type: 'Ping', sentMs: t0 } });
      });
      port.postMessage({ to: 'n2/sink', from: 'n1/blaster', msg: { type: 'Ping', sentMs: t0 } });
      return;
    }
  }
});
