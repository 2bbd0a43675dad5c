import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { DataTree } from '../../src/core/tree/tree.js';
import { SnapshotCapture, concatBytes, decodeTxn, encodeTxn, restoreSnapshot, snapshotBytes } from '../../src/core/tree/codec.js';
import type { WriteOpRequest, WriteRequest } from '../../src/protocol/txn.js';
import { Harness, create, enc } from './helpers.js';

const paths = ['/a', '/a/b', '/a/b/c', '/a/d', '/e', '/e/f', '/c', '/c/x'];
const pathArb = fc.constantFrom(...paths);
const opArb: fc.Arbitrary<WriteOpRequest> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ p: pathArb, d: fc.string({ maxLength: 8 }), m: fc.constantFrom(0, 0, 0, 1, 2, 3, 4, 5) }).map(({ p, d, m }) =>
    create(m === 2 || m === 3 ? `${p}-` : p, d, m, undefined, m === 5 ? 1000 : undefined),
  ) },
  fc.record({ p: pathArb, v: fc.constantFrom(-1, 0, 1) }).map(({ p, v }) => ({ type: 'Delete' as const, path: p, version: v })),
  fc.record({ p: pathArb, d: fc.string({ maxLength: 8 }), v: fc.constantFrom(-1, 0, 1) }).map(({ p, d, v }) => ({
    type: 'SetData' as const,
    path: p,
    data: enc(d),
    version: v,
  })),
  fc.record({ p: pathArb, v: fc.constantFrom(-1, 0) }).map(({ p, v }) => ({
    type: 'SetACL' as const,
    path: p,
    acl: [{ perms: v === 0 ? 31 : 15, id: { scheme: 'world', id: 'anyone' } }],
    version: v,
  })),
  fc.record({ p: pathArb, v: fc.constantFrom(-1, 0) }).map(({ p, v }) => ({ type: 'Check' as const, path: p, version: v })),
);
type Step = { req: WriteRequest; session: number; pipeline: number };
const stepArb: fc.Arbitrary<Step> = fc.record({
  req: fc.oneof(
    { weight: 6, arbitrary: opArb },
    { weight: 2, arbitrary: fc.array(opArb, { minLength: 1, maxLength: 4 }).map((ops) => ({ type: 'Multi' as const, ops })) },
    { weight: 1, arbitrary: fc.nat(2).map((k) => ({ type: 'CreateSession' as const, sessionId: 0x1000 + k, timeoutMs: 5000 })) },
    { weight: 1, arbitrary: fc.constant({ type: 'CloseSession' as const }) },
    { weight: 1, arbitrary: pathArb.map((p) => ({ type: 'DeleteContainer' as const, path: p })) },
  ),
  session: fc.nat(3),
  pipeline: fc.nat(3),
});

/** Run steps on a leader harness with pipelining (several prepares before their applies); returns the txn log. */
function runSteps(steps: Step[]): Harness {
  const h = new Harness();
  const sessions: number[] = [];
  let queue: ReturnType<Harness['prepare']>[] = [];
  for (const s of steps) {
    // session 0 = no session (persistent nodes only); closed sessions stay in the list (their writes must fail)
    const sid = s.req.type === 'CreateSession' || s.session === 0 ? 0 : (sessions[s.session % Math.max(1, sessions.length)] ?? 0);
    queue.push(h.prepare(s.req, sid));
    if (queue.length > s.pipeline) {
      for (const t of queue) {
        const a = h.apply(t);
        if (a.result.type === 'CreateSession') sessions.push(a.result.sessionId);
      }
      queue = [];
    }
  }
  for (const t of queue) h.apply(t);
  return h;
}

test('replicas applying the same txns (through the binary codec) reach identical digests and stats', () => {
  let grown = 0;
  let okTxns = 0;
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' }), (steps) => {
      const h = runSteps(steps);
      grown += h.log.filter((t) => t.body.type === 'Create' || (t.body.type === 'Multi' && t.body.ops.some((o) => o.type === 'Create'))).length;
      okTxns += h.log.filter((t) => t.body.type !== 'Error' && !(t.body.type === 'Multi' && t.body.ops.some((o) => o.type === 'Error'))).length;
      const replica = DataTree.fresh();
      for (const t of h.log) replica.apply(decodeTxn(encodeTxn(t)));
      assert.is(replica.digest(), h.tree.digest());
      assert.is(h.tree.digest(), h.tree.recomputeDigest());
      assert.is(replica.size, h.tree.size);
      for (const p of h.tree.index.keys()) assert.equal(replica.stat(p), h.tree.stat(p), p);
    }),
    { numRuns: 300, seed: 42 },
  );
  // the generator must exercise real changes, not only errors
  assert.ok(grown > 500, `only ${grown} creating txns over all runs`);
  assert.ok(okTxns > 1500, `only ${okTxns} successful txns`);
});

test('snapshot → restore gives the same digest, stats, data, children, sessions; replay continues identically', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' }), fc.array(stepArb, { maxLength: 20, size: 'max' }), (a, b) => {
      const h = runSteps([...a, ...b]);
      const cut = Math.min(h.log.length, a.length);
      const first = DataTree.fresh();
      for (const t of h.log.slice(0, cut)) first.apply(t);
      const restored = restoreSnapshot(snapshotBytes(first), { verifyDigest: true });
      assert.is(restored.digest(), first.digest());
      assert.is(restored.lastZxid, first.lastZxid);
      assert.equal([...restored.sessions], [...first.sessions]);
      for (const p of first.index.keys()) {
        assert.equal(restored.stat(p), first.stat(p));
        assert.equal(restored.getData(p), first.getData(p));
        assert.equal(restored.children(p)!.sort(), first.children(p)!.sort());
        assert.equal(restored.getAcl(p), first.getAcl(p));
      }
      for (const t of h.log.slice(cut)) restored.apply(t);
      assert.is(restored.digest(), h.tree.digest());
      assert.is(restored.recomputeDigest(), h.tree.digest());
    }),
    { numRuns: 200, seed: 7 },
  );
});

test('incremental snapshot (copy-on-write) taken while txns keep applying restores the state at its start', () => {
  fc.assert(
    fc.property(
      fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' }),
      fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }),
      fc.integer({ min: 1, max: 5 }),
      (a, b, stepNodes) => {
        const h = runSteps([...a, ...b]);
        const cut = Math.min(h.log.length, a.length);
        const live = DataTree.fresh();
        for (const t of h.log.slice(0, cut)) live.apply(t);
        const atStart = restoreSnapshot(snapshotBytes(live));
        const cap = new SnapshotCapture(live);
        const chunks: Uint8Array[] = [];
        // interleave: a slice of the snapshot, then a txn, until both are done
        let k = cut;
        while (!cap.done || k < h.log.length) {
          if (!cap.done) chunks.push(...cap.step(stepNodes));
          if (k < h.log.length) live.apply(h.log[k++]!);
        }
        assert.is(live.hook, null);
        assert.is(live.digest(), h.tree.digest());
        const restored = restoreSnapshot(concatBytes(chunks), { verifyDigest: true });
        assert.is(restored.digest(), atStart.digest());
        assert.is(restored.size, atStart.size);
        for (const p of atStart.index.keys()) {
          assert.equal(restored.stat(p), atStart.stat(p), p);
          assert.equal(restored.getData(p), atStart.getData(p));
          assert.equal(restored.getAcl(p), atStart.getAcl(p));
          assert.equal(restored.children(p)!.sort(), atStart.children(p)!.sort());
        }
        assert.equal([...restored.sessions].sort(), [...atStart.sessions].sort());
        // and it continues like the original
        for (const t of h.log.slice(cut)) restored.apply(t);
        assert.is(restored.digest(), h.tree.digest());
      },
    ),
    { numRuns: 200, seed: 11 },
  );
});

test('digest differs when state differs', () => {
  const a = new Harness();
  const b = new Harness();
  a.run(create('/x', 'one'));
  b.run(create('/x', 'two'));
  assert.is.not(a.tree.digest(), b.tree.digest());
});

test.run();
