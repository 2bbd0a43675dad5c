import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseStartFlags, startEmbedded } from '../../src/start.js';

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

test('conclave start flags: admin port (off = none), super digest and 4lw list checked, bad values named', () => {
  const base = { host: '127.0.0.1', eurekaPort: '8761', zkPort: '2181', adminPort: '8081' };
  assert.equal(parseStartFlags(base), { host: '127.0.0.1', eurekaBasePort: 8761, zkBasePort: 2181, adminBasePort: 8081 });
  assert.is(parseStartFlags({ ...base, adminPort: 'off' }).adminBasePort, undefined);
  const f = parseStartFlags({ ...base, superDigest: 'super:0bX78nEegDzJM3ju0iLBEJdWzjg=', '4lw': 'srvr, CONS,dump' });
  assert.is(f.superDigest, 'super:0bX78nEegDzJM3ju0iLBEJdWzjg=');
  assert.equal(f.fourLetterWords, ['srvr', 'cons', 'dump']);
  assert.throws(() => parseStartFlags({ ...base, superDigest: 'nocolon' }), /--super-digest: the super digest must be user:base64/);
  assert.throws(() => parseStartFlags({ ...base, '4lw': 'stats' }), /--4lw: 'stats' is not a four-letter word/);
  assert.throws(() => parseStartFlags({ ...base, adminPort: '70000' }), /--admin-port must be a port number/);
});

test.run();
