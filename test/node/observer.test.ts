/**
 * Observers (`server.N=host:quorumPort:electionPort:observer`): a 4-process ensemble of three voters and one
 * observer. The observer serves clients (writes forwarded to the leader, reads local), reports Mode: observer,
 * never leads and never counts for a quorum: with two voters down nothing serves, the observer included; with one
 * voter back everything serves again, the observer with every write.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectZk } from '../../src/cluster.js';
import { fourLetterWord, RawZk } from '../zookeeper/raw-zk.js';
import { Ensemble, admin, waitForLeader } from './helpers.js';

const voters = [1, 2, 3];
const observer = 4;
const electionTimeoutMs = 15_000;
/** With two voters down, the survivors must not serve for this long (several syncLimits and election rounds). */
const noQuorumWatchMs = 3_000;
const quorumLossGraceMs = 2_000;
const modeSettleMs = 5_000;
const dec = new TextDecoder();

const ens = new Ensemble([...voters, observer], [observer]);

test.before(async () => {
  await ens.write('conclave-observer-');
});

test.after(() => ens.dispose());

const port = (id: number) => ens.ports.get(id)!;
const mode = async (id: number) => /Mode: (\w+)/.exec(await fourLetterWord(port(id).client, 'srvr').catch(() => ''))?.[1] ?? 'none';
/** srvr's status is refreshed every 100 ms: a member that just joined its leader may still say none. */
async function modeSettled(id: number, want: string): Promise<string> {
  const deadline = Date.now() + modeSettleMs;
  let m = await mode(id);
  while (m !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    m = await mode(id);
  }
  return m;
}

test('an observer from zoo.cfg follows the elected voter and says Mode: observer', async () => {
  await Promise.all([...voters, observer].map((id) => ens.start(id)));
  const leader = await waitForLeader([...ens.ports.values()], electionTimeoutMs);
  assert.ok(voters.includes(leader), `leader n${leader} is a voter`);
  assert.is(await modeSettled(observer, 'observer'), 'observer');
  const st = (await admin(port(observer).admin, 'srvr'))?.server_stats as { server_state: string } | undefined;
  assert.is(st?.server_state, 'observer');
  assert.not.match(ens.member(observer).output, /not supported/);
});

test('writes through the observer commit on the voters; its reads see writes made elsewhere', async () => {
  const leader = await waitForLeader([...ens.ports.values()], electionTimeoutMs);
  const o = await connectZk(ens.member(observer).gateway, `n${observer}`);
  const v = await connectZk(ens.member(leader).gateway, `n${leader}`);
  assert.is(await o.create('/obs', 'from-observer'), '/obs');
  await v.sync();
  assert.is(dec.decode((await v.getData('/obs')).data), 'from-observer');
  await v.setData('/obs', 'from-leader');
  await o.sync();
  assert.is(dec.decode((await o.getData('/obs')).data), 'from-leader');
  // and over the observer's client port, as a ZooKeeper client sees it
  const raw = await RawZk.open(port(observer).client);
  await raw.create('/obs/wire', 'w');
  const r = await raw.ok({ type: 'GetData', path: '/obs/wire', watch: false });
  assert.is(dec.decode((r.response as { data: Uint8Array }).data), 'w');
  await raw.close();
  await o.close();
  await v.close();
});

test('two voters down: the observer does not make a quorum, nothing serves; one voter back and all serve', async () => {
  const leader = await waitForLeader([...ens.ports.values()], electionTimeoutMs);
  const [down1, down2] = voters.filter((id) => id !== leader) as [number, number];
  const survivor = leader;
  for (const id of [down1, down2]) {
    ens.member(id).signal('SIGKILL');
    await ens.member(id).exited;
  }
  // the survivor notices the lost quorum within its syncLimit (well under this grace); from then on nobody serves
  await new Promise((r) => setTimeout(r, quorumLossGraceMs));
  const t0 = Date.now();
  let served = '';
  while (Date.now() - t0 < noQuorumWatchMs && served === '') {
    const modes = [await mode(survivor), await mode(observer)];
    if (modes.some((m) => m !== 'none')) served = `n${survivor}: ${modes[0]}, n${observer}: ${modes[1]}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(served, '', 'a voter and an observer are no quorum of three voters');
  await ens.start(down1);
  const next = await waitForLeader([port(survivor), port(down1), port(observer)], electionTimeoutMs);
  assert.ok(voters.includes(next));
  assert.is(await modeSettled(observer, 'observer'), 'observer');
  const o = await connectZk(ens.member(observer).gateway, `n${observer}`);
  await o.create('/obs/after', 'x');
  await o.sync();
  assert.equal((await o.getChildren('/obs')).sort(), ['after', 'wire']);
  await o.close();
  await ens.start(down2);
});

test('the observer killed and restarted: the voters go on writing, it catches up with what it missed', async () => {
  ens.member(observer).signal('SIGKILL');
  await ens.member(observer).exited;
  const leader = await waitForLeader(voters.map(port), electionTimeoutMs);
  const v = await connectZk(ens.member(leader).gateway, `n${leader}`);
  await v.create('/obs/missed', 'm');
  await v.close();
  await ens.start(observer);
  await waitForLeader([...ens.ports.values()], electionTimeoutMs);
  const o = await connectZk(ens.member(observer).gateway, `n${observer}`);
  await o.sync();
  assert.is(dec.decode((await o.getData('/obs/missed')).data), 'm');
  assert.is(await modeSettled(observer, 'observer'), 'observer');
  await o.close();
});

test.run();
