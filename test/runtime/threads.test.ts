import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { ofType } from '../../src/kernel/events.js';
import { createThreadsRuntime } from '../../src/runtime/threads/index.js';
import { postBatchMax } from '../../src/runtime/threads/wire.js';
import { conformance, demoKindsUrl, demoNodes } from './conformance.js';

conformance('threads', () => createThreadsRuntime({ nodes: demoNodes, kindsModule: demoKindsUrl, threads: 4 }));

test('a worker thread that dies is restarted by the driver, and its actor answers again', async () => {
  const rt = await createThreadsRuntime({ nodes: demoNodes.slice(0, 2), kindsModule: demoKindsUrl, threads: 6 });
  try {
    const restarted = firstValueFrom(
      rt.events$.pipe(
        ofType('ActorRestarted'),
        filter((e) => e.actor === 'n1/counter'),
        timeout(5_000),
      ),
    );
    rt.send('n1/counter', { type: 'Inc', by: 2 });
    rt.send('n1/counter', { type: 'Exit' }); // process.exit in the worker: the thread is gone
    const e = await restarted;
    assert.is(e.directive, 'Restart');
    assert.match(e.error, /exit/);
    let count = -1;
    for (let i = 0; i < 100 && count !== 0; i++) {
      count = await rt
        .ask<{ type: 'Count'; count: number }>('n1/counter', { type: 'Get' }, 500)
        .then((r) => r.count)
        .catch(() => -1);
      if (count !== 0) await rt.sleep(50);
    }
    assert.is(count, 0, 'a fresh counter on a new thread');
    rt.send('n1/ping', { type: 'Start', peer: 'n2/ping', rounds: 10 });
    await rt.sleep(200);
    const st = await rt.ask<{ type: 'PingStatus'; done: boolean }>('n1/ping', { type: 'Status' }, 1_000);
    assert.ok(st.done, 'the rest of the mesh still works');
  } finally {
    await rt.close();
  }
});

test('actor traffic goes through the mesh in batches, not through the main thread', async () => {
  const rt = await createThreadsRuntime({ nodes: demoNodes.slice(0, 2), kindsModule: demoKindsUrl, threads: 6 });
  try {
    rt.send('n1/echo', { type: 'Batch', to: 'n2/echo', count: 5_000 });
    let seen = 0;
    for (let i = 0; i < 100 && seen < 5_000; i++) {
      seen = (await rt.ask<{ type: 'EchoStats'; seen: number }>('n2/echo', { type: 'Stats' }, 1_000)).seen;
      if (seen < 5_000) await rt.sleep(20);
    }
    assert.is(seen, 5_000);
    const sender = await rt.stats('n1/echo');
    assert.is(sender.posted, 5_000, 'all 5,000 envelopes left on the mesh port');
    const fewest = Math.ceil(5_000 / postBatchMax);
    assert.ok(sender.batches >= fewest && sender.batches <= fewest + 5, `in ${sender.batches} posts of at most ${postBatchMax}: batched per destination per turn`);
  } finally {
    await rt.close();
  }
});

test.run();
