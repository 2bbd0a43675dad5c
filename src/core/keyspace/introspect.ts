/**
 * Introspection reads (Redis 7.0): OBJECT ENCODING/FREQ/IDLETIME/REFCOUNT/HELP, MEMORY USAGE/HELP, and the
 * keyspace figures INFO's `# Keyspace` section shows (`_keyspaceinfo`, not a client command).
 *
 * The encoding is decided by the value (as Redis's tryObjectEncoding: an integer of at most 20 bytes → `int`, up to
 * 44 bytes → `embstr`, longer → `raw`); Redis also answers `raw` for a short string that APPEND, SETRANGE, SETBIT,
 * BITOP or BITFIELD made, which conclave does not track. Access times are not kept (replicas would disagree on
 * them): IDLETIME answers 0. MEMORY USAGE is an estimate from the bytes held. Collections take Redis 7.0's encoding
 * for their size at the default thresholds (a hash `listpack` or `hashtable`, a list `quicklist`, a set `intset` or
 * `hashtable`); conclave's own representation is not compact (docs/keyspace.md).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { NULL, array, arityError, bulkText, err, fromLatin1, int, latin1, parseInt64, upper } from './bytes.js';
import { type Ctx, type Value, databasesCount, encodeValue, keyOf } from './state.js';

/** Shared integers (Redis's OBJ_SHARED_INTEGERS): REFCOUNT answers INT_MAX for them. */
const sharedIntegersMax = 10_000;
/** The longest string Redis keeps as `embstr`. */
const embstrBytesMax = 44;
/** Bytes MEMORY USAGE adds to a key and its value (entry, object header, allocator rounding). */
const entryOverheadBytes = 40;
/** Redis 7.0's default hash-max-listpack-entries / -value and set-max-intset-entries. */
const hashListpackEntriesMax = 128;
const hashListpackValueBytesMax = 64;
const setIntsetEntriesMax = 512;

const help = (lines: readonly string[]): Reply => array(lines.map((text) => ({ kind: 'Simple', text })));

function stringEncoding(bytes: Uint8Array): 'int' | 'embstr' | 'raw' {
  if (bytes.length <= 20 && parseInt64(bytes) !== null) return 'int';
  return bytes.length <= embstrBytesMax ? 'embstr' : 'raw';
}

function encoding(v: Value): string {
  switch (v.type) {
    case 'string':
      return stringEncoding(v.bytes);
    case 'hash': {
      const small = [...v.fields].every(([f, x]) => f.length <= hashListpackValueBytesMax && x.length <= hashListpackValueBytesMax);
      return v.fields.size <= hashListpackEntriesMax && small ? 'listpack' : 'hashtable';
    }
    case 'list':
      return 'quicklist';
    case 'stream':
      return 'stream';
    case 'set': {
      const ints = [...v.members].every((m) => m.length <= 20 && parseInt64(fromLatin1(m)) !== null);
      return v.members.size <= setIntsetEntriesMax && ints ? 'intset' : 'hashtable';
    }
  }
}

export function object(c: Ctx, a: Argv): Reply {
  const sub = upper(a[1]!);
  if (sub === 'HELP') {
    if (a.length !== 2) return arityError('object|help');
    return help([
      'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'ENCODING <key>',
      '    Return the kind of internal representation used in order to store the value',
      '    associated with a <key>.',
      'FREQ <key>',
      '    Return the access frequency index of the <key>. The returned integer is',
      '    proportional to the logarithm of the recent access frequency of the key.',
      'IDLETIME <key>',
      '    Return the idle time of the <key>, that is the approximated number of',
      '    seconds elapsed since the last access to the key.',
      'REFCOUNT <key>',
      '    Return the number of references of the value associated with the specified',
      '    <key>.',
      'HELP',
      '    Prints this help.',
    ]);
  }
  if (!['ENCODING', 'FREQ', 'IDLETIME', 'REFCOUNT'].includes(sub)) return err(`ERR unknown subcommand '${latin1(a[1]!)}'. Try OBJECT HELP.`);
  if (a.length !== 3) return arityError(`object|${sub.toLowerCase()}`);
  const e = c.lookup(keyOf(a, 2));
  if (e === undefined) return NULL;
  const v = e.value;
  switch (sub) {
    case 'ENCODING':
      return bulkText(encoding(v));
    case 'FREQ':
      return err('ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
    case 'IDLETIME':
      return int(0);
    default: {
      const n = v.type === 'string' && stringEncoding(v.bytes) === 'int' ? parseInt64(v.bytes)! : -1n;
      return int(n >= 0n && n < BigInt(sharedIntegersMax) ? 2147483647 : 1);
    }
  }
}

export function memory(c: Ctx, a: Argv): Reply {
  const sub = upper(a[1]!);
  if (sub === 'HELP') {
    if (a.length !== 2) return arityError('memory|help');
    return help([
      'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'USAGE <key> [SAMPLES <count>]',
      '    Return memory in bytes used by <key> and its value. Nested values are',
      '    sampled up to <count> times (default: 5, 0 means sample all).',
      'HELP',
      '    Prints this help.',
    ]);
  }
  if (sub !== 'USAGE') return err(`ERR unknown subcommand '${latin1(a[1]!)}'. Try MEMORY HELP.`);
  if (a.length < 3) return arityError('memory|usage');
  for (let i = 3; i < a.length; i += 2) {
    if (upper(a[i]!) !== 'SAMPLES' || i + 1 >= a.length) return err('ERR syntax error');
    const n = parseInt64(a[i + 1]!);
    if (n === null) return err('ERR value is not an integer or out of range');
    if (n < 0n) return err('ERR syntax error');
  }
  const key = keyOf(a, 2);
  const e = c.lookup(key);
  if (e === undefined) return NULL;
  const v = e.value;
  const value = v.type === 'string' ? (stringEncoding(v.bytes) === 'int' ? 0 : v.bytes.length) : encodeValue(v).length;
  return int(entryOverheadBytes + key.length + value + (e.expireAt !== null ? 24 : 0));
}

/** INFO's `# Keyspace` lines (`db0:keys=1,expires=0,avg_ttl=0`), for the non-empty databases. */
export function keyspaceInfo(c: Ctx, _a: Argv): Reply {
  let text = '';
  for (let i = 0; i < databasesCount; i++) {
    const db = c.dbAt(i);
    if (db.map.size > 0) text += `db${i}:keys=${db.map.size},expires=${db.volatile},avg_ttl=0\r\n`;
  }
  return bulkText(text);
}
