/**
 * The ACL's command catalog (src/core/keyspace/acl-catalog.ts) is Redis 7.0.15's: every command and subcommand a
 * real redis-server's COMMAND lists, with the same ACL categories and key specs, and the categories of ACL CAT.
 * Every command of conclave's RESP table is in it, but CLIENT NO-TOUCH and SETINFO (Redis 7.2): as commands Redis
 * 7.0 does not know, only a user with `+@all` may run them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { aclCatalog, aclCategories } from '../../src/core/keyspace/index.js';
import { keyspaceCommandTable } from '../../src/servers/redis/index.js';
import { haveRedis, redisCliBin, startRealRedis } from './helpers.js';

/** COMMAND's reply as redis-cli --json prints it (the parts this test reads). */
type KeySpecJson = { flags: string[]; begin_search: { type: string; spec: Record<string, number | string> }; find_keys: { type: string; spec: Record<string, number> } };
type CommandJson = [string, number, string[], number, number, number, string[], unknown, KeySpecJson[], CommandJson[]];

/** A key spec in the catalog's notation (see acl-catalog.ts). */
function notation(ks: KeySpecJson): string {
  const f = new Set(ks.flags);
  const rw = `${f.has('access') ? 'r' : ''}${f.has('insert') || f.has('delete') || f.has('update') ? 'w' : ''}`;
  const perm = f.has('not_key') ? 'n' : rw === '' ? '0' : rw;
  const b = ks.begin_search;
  const k = ks.find_keys;
  const begin = b.type === 'index' ? `i${b.spec.index}` : b.type === 'keyword' ? `k${b.spec.keyword}/${b.spec.startfrom}` : '?';
  const find = k.type === 'range' ? `r${k.spec.lastkey}/${k.spec.keystep}/${k.spec.limit}` : k.type === 'keynum' ? `n${k.spec.keynumidx}/${k.spec.firstkey}/${k.spec.keystep}` : '?';
  return `${perm}${f.has('variable_flags') ? '+v' : ''}:${begin}:${find}`;
}

const ourSpecs = (c: (typeof aclCatalog.all)[number]): string =>
  c.keySpecs
    .map((ks) => {
      const begin = ks.begin === null ? '?' : 'index' in ks.begin ? `i${ks.begin.index}` : `k${ks.begin.keyword}/${ks.begin.startFrom}`;
      const find = ks.find === null ? '?' : ks.find.kind === 'range' ? `r${ks.find.lastKey}/${ks.find.step}/${ks.find.limit}` : `n${ks.find.keynumIdx}/${ks.find.firstKey}/${ks.find.step}`;
      return `${ks.perm}${ks.variable ? '+v' : ''}:${begin}:${find}`;
    })
    .join(' ');

test('every command of the RESP table is in the catalog but the two from Redis 7.2 (allowed by +@all alone)', () => {
  const missing = keyspaceCommandTable()
    .all.flatMap((s) => [s, ...(s.subcommands ?? [])])
    .map((s) => s.name)
    .filter((n) => !aclCatalog.byName.has(n));
  assert.equal(missing, ['client|no-touch', 'client|setinfo']);
});

if (!haveRedis) {
  test.skip('the catalog against redis-server (not installed)', () => undefined);
} else {
  test('the catalog is redis-server 7.0.15 COMMAND: names, categories, key specs; ACL CAT', async () => {
    const real = await startRealRedis();
    try {
      const json = execFileSync(redisCliBin, ['-p', String(real.port), '--json', 'COMMAND'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      const want = new Map<string, [string, string]>();
      const walk = (c: CommandJson): void => {
        want.set(c[0], [c[6].map((x) => x.slice(1)).join(' '), c[8].map(notation).join(' ')]);
        c[9].forEach(walk);
      };
      (JSON.parse(json) as CommandJson[]).forEach(walk);
      assert.is(aclCatalog.all.length, want.size);
      for (const c of aclCatalog.all) assert.equal([[...c.categories].join(' '), ourSpecs(c)], want.get(c.name), c.name);
      const cats = execFileSync(redisCliBin, ['-p', String(real.port), 'ACL', 'CAT'], { encoding: 'utf8' }).trim().split('\n');
      assert.equal([...aclCategories], cats);
    } finally {
      await real.stop();
    }
  });
}

test.run();
