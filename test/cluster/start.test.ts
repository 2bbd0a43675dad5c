import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmbedded } from '../../src/start.js';

test('conclave start: a 3-node cluster with a leader, each node serving Eureka; a registration on one is seen on another', async () => {
  const s = await startEmbedded({ eurekaBasePort: 0, zkBasePort: 0 });
  try {
    const st = await s.cluster.status();
    assert.is(Object.values(st).filter((x) => x.role === 'leading').length, 1);
    assert.is(s.endpoints.filter((e) => e.service === 'eureka').length, 3);
    assert.is(s.endpoints.filter((e) => e.service === 'zookeeper').length, 3);
    const [a, b] = s.endpoints.filter((e) => e.service === 'eureka').map((e) => e.url);
    const body = {
      instance: {
        app: 'DEMO',
        hostName: 'demo-1',
        ipAddr: '127.0.0.1',
        port: { $: 9000, '@enabled': 'true' },
        vipAddress: 'demo',
        status: 'UP',
        dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
      },
    };
    const reg = await fetch(`${a}DEMO`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.is(reg.status, 204);
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      const r = await fetch(`${b}DEMO/demo-1`, { headers: { accept: 'application/json' } });
      seen = r.status === 200;
      if (!seen) await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(seen, 'replicated to the second node');
  } finally {
    await s.close();
  }
});

test.run();
