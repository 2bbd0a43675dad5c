/**
 * Stream commands (Redis 7.0.15): XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XREAD, XGROUP, XREADGROUP, XACK,
 * XPENDING, XCLAIM, XAUTOCLAIM, XINFO, XSETID. Argument errors come in Redis's order. Every time (`*` ids, delivery
 * and seen times, idle times) is `Ctx.nowMs`: the leader's clock carried by the txn for writes, so every replica
 * generates the same ids; the local read time for reads.
 *
 * Blocking (XREAD/XREADGROUP BLOCK) answers at once here: with data as Redis does, without as a timeout (null
 * array); the RESP front end blocks the client and tries again when an XADD makes a key ready (blocking.ts rows,
 * ../../../docs/blocking.md).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { E, NULL, NULL_ARRAY, OK, array, arityError, bulk, bulkText, err, fromLatin1, int, isReply, latin1, parseInt64, upper } from './bytes.js';
import { type Ctx, keyOf } from './state.js';
import {
  type Consumer,
  type Group,
  type LiveEntry,
  type Stream,
  type StreamId,
  type TrimArgs,
  appendEntry,
  backward,
  cmpId,
  consumersInOrder,
  deleteEntry,
  edgeId,
  entriesReadInvalid,
  estimateDistance,
  forward,
  groupLag,
  groupsInOrder,
  idMax,
  idText,
  idZero,
  isZero,
  liveEntry,
  newStream,
  nextId,
  pelFind,
  pelInsert,
  pelRemove,
  pelSeek,
  prevId,
  rangeHasTombstones,
  trimStream,
  u64Max,
} from './stream.js';

/** Redis's STREAM_LISTPACK_MAX_SIZE: the most bytes of fields and values one XADD may add. */
const entryBytesMax = 2 ** 30;
/** The LIMIT `~` trimming gets when none is given (100 * stream-node-max-entries). */
const approxTrimLimitDefault = 10_000n;
/** XAUTOCLAIM's default COUNT and the PEL entries it examines per entry asked. */
const autoclaimCountDefault = 100n;
const autoclaimAttemptsFactor = 10n;
/** XINFO STREAM FULL's default COUNT. */
const infoFullCountDefault = 10n;
const int64Max = 2n ** 63n - 1n;

const E_ID = err('ERR Invalid stream ID specified as stream command argument');
const stream = (s: Stream) => ({ type: 'stream' as const, stream: s });
const idReply = (id: StreamId): Reply => bulkText(idText(id));
const entryReply = ([id, fields]: LiveEntry): Reply => array([idReply(id), array(fields.map(bulk))]);
const text = (s: string): Reply => bulkText(s);
const noGroup = (key: Uint8Array, group: Uint8Array, tail = ''): Reply => err(`NOGROUP No such key '${cstr(key)}' or consumer group '${cstr(group)}'${tail}`);
/** What C's `%s` prints of an argument: up to its first NUL. */
function cstr(b: Uint8Array): string {
  const s = latin1(b);
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}

// ---------------------------------------------------------------------------------------------------------------
// Id parsing (streamGenericParseIDOrReply)
// ---------------------------------------------------------------------------------------------------------------
/** C's string2ull: string2ll when it parses (negative refused), else strtoull's rules in base 10. */
function string2ull(s: string): bigint | null {
  const ll = parseInt64(fromLatin1(s));
  if (ll !== null) return ll < 0n ? null : ll;
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s);
  if (m === null) return null;
  const v = BigInt(m[2]!);
  if (v > u64Max) return null;
  return m[1] === '-' ? BigInt.asUintN(64, -v) : v;
}

interface ParsedId {
  readonly id: StreamId;
  readonly seqGiven: boolean;
}

function parseIdFull(b: Uint8Array, missingSeq: bigint, strict: boolean, seqStar: boolean): ParsedId | null {
  if (b.length > 127) return null;
  const s = cstr(b);
  if (strict && (s === '-' || s === '+')) return null;
  if (s === '-') return { id: idZero, seqGiven: true };
  if (s === '+') return { id: idMax, seqGiven: true };
  const dash = s.indexOf('-');
  const ms = string2ull(dash < 0 ? s : s.slice(0, dash));
  if (ms === null) return null;
  if (dash < 0) return { id: { ms, seq: missingSeq }, seqGiven: true };
  const rest = s.slice(dash + 1);
  if (seqStar && rest === '*') return { id: { ms, seq: 0n }, seqGiven: false };
  const seq = string2ull(rest);
  return seq === null ? null : { id: { ms, seq }, seqGiven: true };
}

const strictId = (b: Uint8Array, missingSeq = 0n): StreamId | Reply => parseIdFull(b, missingSeq, true, false)?.id ?? E_ID;
const looseId = (b: Uint8Array, missingSeq = 0n): StreamId | Reply => parseIdFull(b, missingSeq, false, false)?.id ?? E_ID;
const isId = (x: StreamId | Reply): x is StreamId => !isReply(x);

/** streamParseIntervalIDOrReply plus the `(` adjustment: the inclusive bound, or the error. */
function intervalId(b: Uint8Array, missingSeq: bigint, start: boolean): StreamId | Reply {
  const exclusive = b.length > 1 && b[0] === 0x28;
  const id = exclusive ? strictId(b.subarray(1), missingSeq) : looseId(b, missingSeq);
  if (!isId(id) || !exclusive) return id;
  const moved = start ? nextId(id) : prevId(id);
  return moved ?? err(`ERR invalid ${start ? 'start' : 'end'} ID for the interval`);
}

function longLong(b: Uint8Array, msg?: string): bigint | Reply {
  const v = parseInt64(b);
  return v === null ? (msg !== undefined ? err(`ERR ${msg}`) : E.notInt) : v;
}

// ---------------------------------------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------------------------------------
function getStream(c: Ctx, key: string): Stream | null | Reply {
  const v = c.typed(key, 'stream');
  return v === null || isReply(v) ? v : v.stream;
}

/** Store a stream changed in place (revision, digest); a new key emits `new`. */
function save(c: Ctx, key: string, s: Stream): void {
  c.put(key, stream(s), 'keep');
}

function lastValidId(s: Stream): StreamId {
  return edgeId(s, false) ?? idZero;
}

function createConsumer(c: Ctx, g: Group, name: string, key: string): Consumer {
  const consumer: Consumer = { name, seenMs: c.nowMs, pending: 0 };
  g.consumers.set(name, consumer);
  c.notify('t', 'xgroup-createconsumer', key);
  return consumer;
}

/** streamLookupConsumer (refreshing the seen time) or streamCreateConsumer. */
function consumerFor(c: Ctx, g: Group, name: string, key: string): Consumer {
  const found = g.consumers.get(name);
  if (found === undefined) return createConsumer(c, g, name, key);
  found.seenMs = c.nowMs;
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// XADD / XTRIM
// ---------------------------------------------------------------------------------------------------------------
interface AddTrim {
  trim: TrimArgs | null;
  /** The index of the id argument (XADD) or a.length (XTRIM). */
  idPos: number;
  id: ParsedId | null;
  noMkStream: boolean;
}

/** streamParseAddOrTrimArgsOrReply. */
function parseAddTrim(a: Argv, xadd: boolean): AddTrim | Reply {
  let strategy: 'maxlen' | 'minid' | null = null;
  let approx = false;
  let maxlen = 0n;
  let minid: StreamId = idZero;
  let limit = 0n;
  let limitGiven = false;
  let noMkStream = false;
  let id: ParsedId | null = null;
  let i = 2;
  for (; i < a.length; i++) {
    const more = a.length - 1 - i;
    const opt = upper(a[i]!);
    if (xadd && opt === '*') break;
    if ((opt === 'MAXLEN' || opt === 'MINID') && more > 0) {
      if (strategy !== null) return err('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      approx = false;
      const next = latin1(a[i + 1]!);
      if (more >= 2 && next === '~') {
        approx = true;
        i++;
      } else if (more >= 2 && next === '=') i++;
      if (opt === 'MAXLEN') {
        const v = longLong(a[i + 1]!);
        if (isReply(v)) return v;
        if (v < 0n) return err('ERR The MAXLEN argument must be >= 0.');
        maxlen = v;
      } else {
        const v = strictId(a[i + 1]!);
        if (!isId(v)) return v;
        minid = v;
      }
      i++;
      strategy = opt === 'MAXLEN' ? 'maxlen' : 'minid';
    } else if (opt === 'LIMIT' && more > 0) {
      const v = longLong(a[i + 1]!);
      if (isReply(v)) return v;
      if (v < 0n) return err('ERR The LIMIT argument must be >= 0.');
      limit = v;
      limitGiven = true;
      i++;
    } else if (xadd && opt === 'NOMKSTREAM') noMkStream = true;
    else if (xadd) {
      id = parseIdFull(a[i]!, 0n, true, true);
      if (id === null) return E_ID;
      break;
    } else return E.syntax;
  }
  if (limit !== 0n && strategy === null) return err('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  if (!xadd && strategy === null) return err('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (limitGiven) {
    if (!approx) return err('ERR syntax error, LIMIT cannot be used without the special ~ option');
  } else limit = approx ? approxTrimLimitDefault : 0n;
  return { trim: strategy === null ? null : { strategy, maxlen, minid, approx, limit }, idPos: i, id, noMkStream };
}

export function xadd(c: Ctx, a: Argv): Reply {
  const p = parseAddTrim(a, true);
  if (isReply(p)) return p;
  const fieldPos = p.idPos + 1;
  const nFields = a.length - fieldPos;
  if (nFields < 2 || nFields % 2 === 1) return arityError('xadd');
  if (p.id !== null && p.id.seqGiven && isZero(p.id.id)) return err('ERR The ID specified in XADD must be greater than 0-0');
  const key = keyOf(a, 1);
  let s = getStream(c, key);
  if (isReply(s)) return s;
  if (s === null) {
    if (p.noMkStream) return NULL;
    s = newStream();
    save(c, key, s);
  }
  if (s.lastId.ms === u64Max && s.lastId.seq === u64Max) return err('ERR The stream has exhausted the last possible ID, unable to add more items');
  let id: StreamId | null;
  if (p.id === null) {
    const ms = BigInt(Math.max(0, Math.floor(c.nowMs)));
    id = ms > s.lastId.ms ? { ms, seq: 0n } : nextId(s.lastId);
  } else if (p.id.seqGiven) id = p.id.id;
  else if (p.id.id.ms !== s.lastId.ms) id = p.id.id;
  else if (s.lastId.seq === u64Max) return err('ERR Elements are too large to be stored'); // Redis 7.0.15 leaves errno unset here
  else id = { ms: s.lastId.ms, seq: s.lastId.seq + 1n };
  if (id === null || cmpId(id, s.lastId) <= 0) return err('ERR The ID specified in XADD is equal or smaller than the target stream top item');
  const fields = a.slice(fieldPos) as Uint8Array[];
  if (fields.reduce((n, f) => n + f.length, 0) > entryBytesMax) return err('ERR Elements are too large to be stored');
  appendEntry(s, id, fields);
  c.notify('t', 'xadd', key);
  if (p.trim !== null && trimStream(s, p.trim) > 0) c.notify('t', 'xtrim', key);
  save(c, key, s);
  return idReply(id);
}

export function xtrim(c: Ctx, a: Argv): Reply {
  const p = parseAddTrim(a, false);
  if (isReply(p)) return p;
  const key = keyOf(a, 1);
  const s = getStream(c, key);
  if (isReply(s)) return s;
  if (s === null) return int(0);
  const n = trimStream(s, p.trim!);
  if (n > 0) {
    c.notify('t', 'xtrim', key);
    save(c, key, s);
  }
  return int(n);
}

// ---------------------------------------------------------------------------------------------------------------
// XLEN / XRANGE / XREVRANGE / XDEL
// ---------------------------------------------------------------------------------------------------------------
export function xlen(c: Ctx, a: Argv): Reply {
  const s = getStream(c, keyOf(a, 1));
  return isReply(s) ? s : int(s?.length ?? 0);
}

/** Up to `count` entries of `it` (0 = all). */
function take(it: Iterable<LiveEntry>, count: bigint): LiveEntry[] {
  const out: LiveEntry[] = [];
  for (const e of it) {
    out.push(e);
    if (BigInt(out.length) === count) break;
  }
  return out;
}

export function xrange(rev: boolean) {
  return (c: Ctx, a: Argv): Reply => {
    const start = intervalId(rev ? a[3]! : a[2]!, 0n, true);
    if (!isId(start)) return start;
    const end = intervalId(rev ? a[2]! : a[3]!, u64Max, false);
    if (!isId(end)) return end;
    let count = -1n;
    for (let j = 4; j < a.length; j++) {
      if (upper(a[j]!) === 'COUNT' && j + 1 < a.length) {
        const v = longLong(a[++j]!);
        if (isReply(v)) return v;
        count = v < 0n ? 0n : v;
      } else return E.syntax;
    }
    const s = getStream(c, keyOf(a, 1));
    if (isReply(s)) return s;
    if (s === null) return array([]);
    if (count === 0n) return NULL_ARRAY;
    return array(take(rev ? backward(s, end, start) : forward(s, start, end), count === -1n ? 0n : count).map(entryReply));
  };
}

export function xdel(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const s = getStream(c, key);
  if (isReply(s)) return s;
  if (s === null) return int(0);
  const ids: StreamId[] = [];
  for (let j = 2; j < a.length; j++) {
    const id = strictId(a[j]!);
    if (!isId(id)) return id;
    ids.push(id);
  }
  let deleted = 0;
  let first = false;
  for (const id of ids) {
    if (!deleteEntry(s, id)) continue;
    if (cmpId(id, s.firstId) === 0) first = true;
    if (cmpId(id, s.maxDeletedId) > 0) s.maxDeletedId = id;
    deleted++;
  }
  if (deleted > 0) {
    if (s.length === 0) s.firstId = idZero;
    else if (first) s.firstId = edgeId(s, true) ?? idMax;
    c.notify('t', 'xdel', key);
    save(c, key, s);
  }
  return int(deleted);
}

// ---------------------------------------------------------------------------------------------------------------
// XREAD / XREADGROUP
// ---------------------------------------------------------------------------------------------------------------
/** A parsed XREAD/XREADGROUP: per stream its key and the id entries must be above (`>` = idMax). */
export interface XreadRequest {
  readonly keys: readonly Uint8Array[];
  readonly ids: StreamId[];
  readonly count: bigint;
  /** Absolute unix ms, 0 = forever, null = no BLOCK. */
  readonly blockUntilMs: bigint | null;
  readonly group: { readonly name: Uint8Array; readonly consumer: Uint8Array; readonly noack: boolean } | null;
}

/** Parses the arguments and resolves `$`, checking types and groups in Redis's order. */
function parseXread(c: Ctx, a: Argv, xreadgroup: boolean): XreadRequest | Reply {
  let count = 0n;
  let blockUntilMs: bigint | null = null;
  let streamsArg = 0;
  let groupName: Uint8Array | null = null;
  let consumerName: Uint8Array | null = null;
  let noack = false;
  for (let i = 1; i < a.length; i++) {
    const more = a.length - i - 1;
    const o = upper(a[i]!);
    if (o === 'BLOCK' && more > 0) {
      const t = parseInt64(a[++i]!);
      if (t === null) return err('ERR timeout is not an integer or out of range');
      if (t < 0n) return err('ERR timeout is negative');
      const now = BigInt(Math.floor(c.nowMs));
      if (t > 0n && t > int64Max - now) return err('ERR timeout is out of range');
      blockUntilMs = t > 0n ? t + now : 0n;
    } else if (o === 'COUNT' && more > 0) {
      const v = longLong(a[++i]!);
      if (isReply(v)) return v;
      count = v < 0n ? 0n : v;
    } else if (o === 'STREAMS' && more > 0) {
      streamsArg = i + 1;
      if ((a.length - streamsArg) % 2 !== 0) return err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      break;
    } else if (o === 'GROUP' && more >= 2) {
      if (!xreadgroup) return err('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      groupName = a[i + 1]!;
      consumerName = a[i + 2]!;
      i += 2;
    } else if (o === 'NOACK') {
      if (!xreadgroup) return err('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      noack = true;
    } else return E.syntax;
  }
  if (streamsArg === 0) return E.syntax;
  if (xreadgroup && groupName === null) return err('ERR Missing GROUP option for XREADGROUP');
  const n = (a.length - streamsArg) / 2;
  const keys = a.slice(streamsArg, streamsArg + n);
  const ids: StreamId[] = [];
  for (let i = 0; i < n; i++) {
    const s = getStream(c, latin1(keys[i]!));
    if (isReply(s)) return s;
    if (groupName !== null && (s === null || !s.groups.has(latin1(groupName)))) return noGroup(keys[i]!, groupName, ' in XREADGROUP with GROUP option');
    const arg = latin1(a[streamsArg + n + i]!);
    if (arg === '$') {
      if (xreadgroup)
        return err(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
      ids.push(s?.lastId ?? idZero);
    } else if (arg === '>') {
      if (!xreadgroup) return err('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
      ids.push(idMax);
    } else {
      const id = strictId(a[streamsArg + n + i]!);
      if (!isId(id)) return id;
      ids.push(id);
    }
  }
  const group = groupName === null ? null : { name: groupName, consumer: consumerName!, noack };
  return { keys, ids, count, blockUntilMs, group };
}

/** Entries of `s` above `after` for a group: new ones (`>`) move the group's last id and enter the PEL. */
function deliverNew(c: Ctx, s: Stream, g: Group, consumer: Consumer, after: StreamId, count: bigint, noack: boolean): Reply[] {
  const start = nextId(after);
  const out: Reply[] = [];
  if (start === null) return out;
  for (const e of take(forward(s, start, idMax), count)) {
    const id = e[0];
    if (cmpId(id, g.lastId) > 0) {
      if (g.entriesRead !== entriesReadInvalid && !rangeHasTombstones(s, id, null)) g.entriesRead++;
      else if (s.entriesAdded !== 0n) g.entriesRead = estimateDistance(s, id);
      g.lastId = id;
    }
    if (!noack) {
      const nack = pelFind(g.pel, id);
      if (nack === undefined) {
        pelInsert(g.pel, { id, deliveryMs: c.nowMs, deliveryCount: 1n, consumer });
        consumer.pending++;
      } else {
        nack.consumer.pending--;
        nack.consumer = consumer;
        consumer.pending++;
        nack.deliveryMs = c.nowMs;
        nack.deliveryCount = 1n;
      }
    }
    out.push(entryReply(e));
  }
  return out;
}

/** A consumer's pending entries above `after` (history): deleted ones as [id, nil]; delivered ones counted again. */
function deliverHistory(c: Ctx, s: Stream, g: Group, consumer: Consumer, after: StreamId, count: bigint): Reply[] {
  const start = nextId(after);
  const out: Reply[] = [];
  if (start === null) return out;
  for (let i = pelSeek(g.pel, start); i < g.pel.length && (count === 0n || BigInt(out.length) < count); i++) {
    const nack = g.pel[i]!;
    if (nack.consumer !== consumer) continue;
    const fields = liveEntry(s, nack.id);
    if (fields === null) out.push(array([idReply(nack.id), NULL_ARRAY]));
    else {
      nack.deliveryMs = c.nowMs;
      nack.deliveryCount++;
      out.push(entryReply([nack.id, fields]));
    }
  }
  return out;
}

/**
 * Try to serve a parsed XREAD/XREADGROUP now: the reply (a map of key → entries), or null when nothing can be
 * served (the caller answers a timeout or blocks). XREADGROUP creates its consumer even then.
 */
export function xreadServe(c: Ctx, r: XreadRequest): Reply | null {
  const served: [Reply, Reply][] = [];
  for (let i = 0; i < r.keys.length; i++) {
    const key = latin1(r.keys[i]!);
    const s = getStream(c, key);
    if (s === null || isReply(s)) continue;
    const after = r.ids[i]!;
    if (r.group !== null) {
      const g = s.groups.get(latin1(r.group.name))!;
      const history = cmpId(after, idMax) !== 0;
      const consumer = consumerFor(c, g, latin1(r.group.consumer), key);
      let items: Reply[] | null = null;
      if (history) items = deliverHistory(c, s, g, consumer, after, r.count);
      else if (s.length > 0 && cmpId(lastValidId(s), g.lastId) > 0) items = deliverNew(c, s, g, consumer, g.lastId, r.count, r.group.noack);
      save(c, key, s);
      if (items !== null) served.push([bulk(r.keys[i]!), array(items)]);
    } else if (s.length > 0 && cmpId(lastValidId(s), after) > 0) {
      const start = nextId(after)!;
      served.push([bulk(r.keys[i]!), array(take(forward(s, start, idMax), r.count).map(entryReply))]);
    }
  }
  return served.length === 0 ? null : { kind: 'Map', entries: served, resp2: 'pairs' };
}

export function xread(xreadgroup: boolean) {
  return (c: Ctx, a: Argv): Reply => {
    const r = parseXread(c, a, xreadgroup);
    if (isReply(r)) return r;
    return xreadServe(c, r) ?? NULL_ARRAY;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// XGROUP / XSETID
// ---------------------------------------------------------------------------------------------------------------
const help = (lines: readonly string[]): Reply => array(lines.map((t) => ({ kind: 'Simple', text: t })));
const subSyntax = (a: Argv, container: string): Reply => err(`ERR unknown subcommand or wrong number of arguments for '${latin1(a[1]!)}'. Try ${container} HELP.`);
/** Redis 7.0's subcommand arities. */
const xgroupArity: Record<string, number> = { CREATE: -5, SETID: -5, DESTROY: 4, CREATECONSUMER: 5, DELCONSUMER: 5, HELP: 2 };
const xinfoArity: Record<string, number> = { STREAM: -3, GROUPS: 3, CONSUMERS: 4, HELP: 2 };

/** The subcommand's upper-case name, or the unknown-subcommand / arity error the command table gives. */
function subcommand(a: Argv, container: 'XGROUP' | 'XINFO', arities: Record<string, number>): string | Reply {
  const sub = upper(a[1]!);
  const arity = arities[sub];
  if (arity === undefined) return err(`ERR unknown subcommand '${latin1(a[1]!)}'. Try ${container} HELP.`);
  if (arity >= 0 ? a.length !== arity : a.length < -arity) return arityError(`${container.toLowerCase()}|${sub.toLowerCase()}`);
  return sub;
}

function entriesReadArg(b: Uint8Array): bigint | Reply {
  const v = longLong(b);
  if (isReply(v)) return v;
  return v < 0n && v !== entriesReadInvalid ? err('ERR value for ENTRIESREAD must be positive or -1') : v;
}

export function xgroup(c: Ctx, a: Argv): Reply {
  const sub = subcommand(a, 'XGROUP', xgroupArity);
  if (isReply(sub)) return sub;
  if (sub === 'HELP')
    return help([
      'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'CREATE <key> <groupname> <id|$> [option]',
      '    Create a new consumer group. Options are:',
      '    * MKSTREAM',
      '      Create the empty stream if it does not exist.',
      '    * ENTRIESREAD entries_read',
      "      Set the group's entries_read counter (internal use).",
      'CREATECONSUMER <key> <groupname> <consumer>',
      '    Create a new consumer in the specified group.',
      'DELCONSUMER <key> <groupname> <consumer>',
      '    Remove the specified consumer.',
      'DESTROY <key> <groupname>',
      '    Remove the specified group.',
      'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
      '    Set the current group ID and entries_read counter.',
      'HELP',
      '    Prints this help.',
    ]);
  let mkstream = false;
  let entriesRead = entriesReadInvalid;
  if (sub === 'CREATE') {
    for (let i = 5; i < a.length; ) {
      const o = upper(a[i]!);
      if (o === 'MKSTREAM') {
        mkstream = true;
        i++;
      } else if (o === 'ENTRIESREAD' && i + 1 < a.length) {
        const v = entriesReadArg(a[i + 1]!);
        if (isReply(v)) return v;
        entriesRead = v;
        i += 2;
      } else return subSyntax(a, 'XGROUP');
    }
  } else if (sub === 'SETID') {
    if (a.length === 7) {
      if (upper(a[5]!) !== 'ENTRIESREAD') return subSyntax(a, 'XGROUP');
      const v = entriesReadArg(a[6]!);
      if (isReply(v)) return v;
      entriesRead = v;
    } else if (a.length !== 5) return subSyntax(a, 'XGROUP');
  }
  const key = keyOf(a, 2);
  const s = getStream(c, key);
  if (isReply(s)) return s;
  const groupName = latin1(a[3]!);
  if (!mkstream) {
    if (s === null)
      return err('ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.');
    if (!s.groups.has(groupName) && (sub === 'SETID' || sub === 'CREATECONSUMER' || sub === 'DELCONSUMER'))
      return err(`NOGROUP No such consumer group '${cstr(a[3]!)}' for key name '${cstr(a[2]!)}'`);
  }
  const g = s?.groups.get(groupName);
  switch (sub) {
    case 'CREATE': {
      if (a.length > 8) return subSyntax(a, 'XGROUP');
      let id: StreamId;
      if (latin1(a[4]!) === '$') id = s?.lastId ?? idZero;
      else {
        const p = strictId(a[4]!);
        if (!isId(p)) return p;
        id = p;
      }
      const target = s ?? newStream();
      if (s === null) save(c, key, target);
      if (g !== undefined) return err('BUSYGROUP Consumer Group name already exists');
      target.groups.set(groupName, { name: groupName, lastId: id, entriesRead, pel: [], consumers: new Map() });
      save(c, key, target);
      c.notify('t', 'xgroup-create', key);
      return OK;
    }
    case 'SETID': {
      let id: StreamId;
      if (latin1(a[4]!) === '$') id = s!.lastId;
      else {
        const p = looseId(a[4]!);
        if (!isId(p)) return p;
        id = p;
      }
      g!.lastId = id;
      g!.entriesRead = entriesRead;
      save(c, key, s!);
      c.notify('t', 'xgroup-setid', key);
      return OK;
    }
    case 'DESTROY': {
      if (g === undefined) return int(0);
      s!.groups.delete(groupName);
      save(c, key, s!);
      c.notify('t', 'xgroup-destroy', key);
      return int(1);
    }
    case 'CREATECONSUMER': {
      const name = latin1(a[4]!);
      if (g!.consumers.has(name)) return int(0);
      createConsumer(c, g!, name, key);
      save(c, key, s!);
      return int(1);
    }
    default: {
      const consumer = g!.consumers.get(latin1(a[4]!));
      if (consumer === undefined) return int(0);
      const pending = consumer.pending;
      for (let i = g!.pel.length - 1; i >= 0; i--) if (g!.pel[i]!.consumer === consumer) g!.pel.splice(i, 1);
      g!.consumers.delete(consumer.name);
      save(c, key, s!);
      c.notify('t', 'xgroup-delconsumer', key);
      return int(pending);
    }
  }
}

export function xsetid(c: Ctx, a: Argv): Reply {
  const id = strictId(a[2]!);
  if (!isId(id)) return id;
  let entriesAdded = -1n;
  let maxDeleted: StreamId = idZero;
  for (let i = 3; i < a.length; i += 2) {
    const more = a.length - 1 - i;
    const o = upper(a[i]!);
    if (o === 'ENTRIESADDED' && more > 0) {
      const v = longLong(a[i + 1]!);
      if (isReply(v)) return v;
      if (v < 0n) return err('ERR entries_added must be positive');
      entriesAdded = v;
    } else if (o === 'MAXDELETEDID' && more > 0) {
      const v = strictId(a[i + 1]!);
      if (!isId(v)) return v;
      if (cmpId(id, v) < 0) return err('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      maxDeleted = v;
    } else return E.syntax;
  }
  const key = keyOf(a, 1);
  const s = getStream(c, key);
  if (isReply(s)) return s;
  if (s === null) return E.noSuchKey;
  if (s.length > 0) {
    if (cmpId(id, lastValidId(s)) < 0) return err('ERR The ID specified in XSETID is smaller than the target stream top item');
    if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) return err('ERR The entries_added specified in XSETID is smaller than the target stream length');
  }
  s.lastId = id;
  if (entriesAdded !== -1n) s.entriesAdded = entriesAdded;
  if (!isZero(maxDeleted)) s.maxDeletedId = maxDeleted;
  save(c, key, s);
  c.notify('t', 'xsetid', key);
  return OK;
}

// ---------------------------------------------------------------------------------------------------------------
// XACK / XPENDING / XCLAIM / XAUTOCLAIM
// ---------------------------------------------------------------------------------------------------------------
/** The stream and group for XACK/XCLAIM/XAUTOCLAIM/XPENDING: null when either is missing. */
function streamGroup(c: Ctx, a: Argv): { s: Stream; g: Group } | null | Reply {
  const s = getStream(c, keyOf(a, 1));
  if (isReply(s)) return s;
  const g = s?.groups.get(latin1(a[2]!));
  return s === null || g === undefined ? null : { s, g };
}

export function xack(c: Ctx, a: Argv): Reply {
  const sg = streamGroup(c, a);
  if (isReply(sg)) return sg;
  if (sg === null) return int(0);
  const ids: StreamId[] = [];
  for (let j = 3; j < a.length; j++) {
    const id = strictId(a[j]!);
    if (!isId(id)) return id;
    ids.push(id);
  }
  let n = 0;
  for (const id of ids) if (pelRemove(sg.g.pel, id)) n++;
  if (n > 0) save(c, keyOf(a, 1), sg.s);
  return int(n);
}

export function xpending(c: Ctx, a: Argv): Reply {
  const summary = a.length === 3;
  if (!summary && (a.length < 6 || a.length > 9)) return E.syntax;
  let start = idZero;
  let end = idMax;
  let count = 0n;
  let minIdle = 0n;
  let consumerName: string | null = null;
  if (!summary) {
    let at = 3;
    if (upper(a[3]!) === 'IDLE') {
      const v = longLong(a[4]!);
      if (isReply(v)) return v;
      minIdle = v;
      if (a.length < 8) return E.syntax;
      at += 2;
    }
    const n = longLong(a[at + 2]!);
    if (isReply(n)) return n;
    count = n < 0n ? 0n : n;
    const s0 = intervalId(a[at]!, 0n, true);
    if (!isId(s0)) return s0;
    const e0 = intervalId(a[at + 1]!, u64Max, false);
    if (!isId(e0)) return e0;
    start = s0;
    end = e0;
    if (at + 3 < a.length) consumerName = latin1(a[at + 3]!);
  }
  const sg = streamGroup(c, a);
  if (isReply(sg)) return sg;
  if (sg === null) return noGroup(a[1]!, a[2]!);
  const g = sg.g;
  if (summary) {
    if (g.pel.length === 0) return array([int(0), NULL, NULL, NULL_ARRAY]);
    const owners = consumersInOrder(g)
      .filter((x) => x.pending > 0)
      .map((x) => array([bulk(fromLatin1(x.name)), text(String(x.pending))]));
    return array([int(g.pel.length), idReply(g.pel[0]!.id), idReply(g.pel[g.pel.length - 1]!.id), array(owners)]);
  }
  let consumer: Consumer | undefined;
  if (consumerName !== null) {
    consumer = g.consumers.get(consumerName);
    if (consumer === undefined) return array([]);
  }
  const out: Reply[] = [];
  for (let i = pelSeek(g.pel, start); i < g.pel.length && count > 0n; i++) {
    const nack = g.pel[i]!;
    if (cmpId(nack.id, end) > 0) break;
    if (consumer !== undefined && nack.consumer !== consumer) continue;
    const idle = c.nowMs - nack.deliveryMs;
    if (minIdle !== 0n && BigInt(idle) < minIdle) continue;
    count--;
    out.push(array([idReply(nack.id), bulk(fromLatin1(nack.consumer.name)), int(Math.max(0, idle)), int(nack.deliveryCount)]));
  }
  return array(out);
}

/** Move a nack to `consumer` (the seen time refreshed once per command), delivered at `atMs`. */
function claimNack(nack: { consumer: Consumer | null; deliveryMs: number; deliveryCount: bigint }, consumer: Consumer, atMs: number): void {
  if (nack.consumer !== consumer) {
    if (nack.consumer !== null) nack.consumer.pending--;
    consumer.pending++;
    nack.consumer = consumer;
  }
  nack.deliveryMs = atMs;
}

export function xclaim(c: Ctx, a: Argv): Reply {
  const sg = streamGroup(c, a);
  if (isReply(sg)) return sg;
  if (sg === null) return noGroup(a[1]!, a[2]!);
  const { s, g } = sg;
  const key = keyOf(a, 1);
  const idleArg = longLong(a[4]!, 'Invalid min-idle-time argument for XCLAIM');
  if (isReply(idleArg)) return idleArg;
  const minIdle = idleArg < 0n ? 0n : idleArg;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < a.length; j++) {
    const p = parseIdFull(a[j]!, 0n, true, false);
    if (p === null) break;
    ids.push(p.id);
  }
  const now = BigInt(Math.floor(c.nowMs));
  let deliveryMs = -1n;
  let retryCount = -1n;
  let force = false;
  let justId = false;
  let lastId = idZero;
  for (; j < a.length; j++) {
    const more = a.length - 1 - j;
    const o = upper(a[j]!);
    if (o === 'FORCE') force = true;
    else if (o === 'JUSTID') justId = true;
    else if (o === 'IDLE' && more > 0) {
      const v = longLong(a[++j]!, 'Invalid IDLE option argument for XCLAIM');
      if (isReply(v)) return v;
      deliveryMs = BigInt.asIntN(64, now - v);
    } else if (o === 'TIME' && more > 0) {
      const v = longLong(a[++j]!, 'Invalid TIME option argument for XCLAIM');
      if (isReply(v)) return v;
      deliveryMs = v;
    } else if (o === 'RETRYCOUNT' && more > 0) {
      const v = longLong(a[++j]!, 'Invalid RETRYCOUNT option argument for XCLAIM');
      if (isReply(v)) return v;
      retryCount = v;
    } else if (o === 'LASTID' && more > 0) {
      const v = strictId(a[++j]!);
      if (!isId(v)) return v;
      lastId = v;
    } else return err(`ERR Unrecognized XCLAIM option '${cstr(a[j]!)}'`);
  }
  let changed = false;
  if (cmpId(lastId, g.lastId) > 0) {
    g.lastId = lastId;
    changed = true;
  }
  const at = Number(deliveryMs === -1n || deliveryMs < 0n || deliveryMs > now ? now : deliveryMs);
  let consumer: Consumer | null = null;
  const out: Reply[] = [];
  for (const id of ids) {
    let nack = pelFind(g.pel, id);
    const fields = liveEntry(s, id);
    if (fields === null) {
      if (nack !== undefined) {
        pelRemove(g.pel, id);
        changed = true;
      }
      continue;
    }
    let forced = false;
    if (force && nack === undefined) {
      consumer ??= consumerFor(c, g, latin1(a[3]!), key);
      nack = { id, deliveryMs: at, deliveryCount: 1n, consumer };
      consumer.pending++;
      pelInsert(g.pel, nack);
      forced = true;
    }
    if (nack === undefined) continue;
    if (!forced && minIdle !== 0n && BigInt(c.nowMs - nack.deliveryMs) < minIdle) continue;
    consumer ??= consumerFor(c, g, latin1(a[3]!), key);
    claimNack(nack, consumer, at);
    if (retryCount >= 0n) nack.deliveryCount = retryCount;
    else if (!justId) nack.deliveryCount++;
    changed = true;
    out.push(justId ? idReply(id) : entryReply([id, fields]));
  }
  if (changed || consumer !== null) save(c, key, s);
  return array(out);
}

export function xautoclaim(c: Ctx, a: Argv): Reply {
  const idleArg = longLong(a[4]!, 'Invalid min-idle-time argument for XAUTOCLAIM');
  if (isReply(idleArg)) return idleArg;
  const minIdle = idleArg < 0n ? 0n : idleArg;
  const start = intervalId(a[5]!, 0n, true);
  if (!isId(start)) return start;
  let count = autoclaimCountDefault;
  let justId = false;
  const countMax = int64Max / 16n;
  for (let j = 6; j < a.length; j++) {
    const o = upper(a[j]!);
    if (o === 'COUNT' && j + 1 < a.length) {
      const v = parseInt64(a[++j]!);
      if (v === null || v < 1n || v > countMax) return err('ERR COUNT must be > 0');
      count = v;
    } else if (o === 'JUSTID') justId = true;
    else return E.syntax;
  }
  const sg = streamGroup(c, a);
  if (isReply(sg)) return sg;
  if (sg === null) return noGroup(a[1]!, a[2]!);
  const { s, g } = sg;
  const key = keyOf(a, 1);
  let attempts = count * autoclaimAttemptsFactor;
  let consumer: Consumer | null = null;
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  let i = pelSeek(g.pel, start);
  while (attempts-- > 0n && count > 0n && i < g.pel.length) {
    const nack = g.pel[i]!;
    const fields = liveEntry(s, nack.id);
    if (fields === null) {
      pelRemove(g.pel, nack.id);
      deleted.push(idReply(nack.id));
      count--;
      continue;
    }
    i++;
    if (minIdle !== 0n && BigInt(c.nowMs - nack.deliveryMs) < minIdle) continue;
    consumer ??= consumerFor(c, g, latin1(a[3]!), key);
    claimNack(nack, consumer, c.nowMs);
    if (!justId) nack.deliveryCount++;
    claimed.push(justId ? idReply(nack.id) : entryReply([nack.id, fields]));
    count--;
  }
  const next = g.pel[i]?.id ?? idZero;
  if (claimed.length > 0 || deleted.length > 0 || consumer !== null) save(c, key, s);
  return array([idReply(next), array(claimed), array(deleted)]);
}

// ---------------------------------------------------------------------------------------------------------------
// XINFO
// ---------------------------------------------------------------------------------------------------------------
const pairs = (kv: [string, Reply][]): Reply => ({ kind: 'Map', entries: kv.map(([k, v]) => [text(k), v] as const) });
const lagReply = (s: Stream, g: Group): Reply => {
  const lag = groupLag(s, g);
  return lag === null ? NULL : int(lag);
};
const entriesReadReply = (g: Group): Reply => (g.entriesRead === entriesReadInvalid ? NULL : int(g.entriesRead));

/**
 * Redis's `radix-tree-nodes` for the node keys (16-byte big-endian ids) of a rax built by inserts: the root, each
 * branching point, each position right after a branch byte and each key's end, counted once each.
 */
function raxNodes(s: Stream): number {
  const keys = s.nodes.map((n) => {
    const b = new Uint8Array(16);
    for (let i = 0; i < 8; i++) {
      b[i] = Number((n.master.ms >> BigInt(8 * (7 - i))) & 0xffn);
      b[8 + i] = Number((n.master.seq >> BigInt(8 * (7 - i))) & 0xffn);
    }
    return b;
  });
  if (keys.length === 0) return 1;
  const points = new Set<string>(['']);
  const hex = (k: Uint8Array, len: number): string => latin1(k.subarray(0, len));
  for (const k of keys) points.add(hex(k, 16));
  for (let i = 0; i + 1 < keys.length; i++) {
    const x = keys[i]!;
    const y = keys[i + 1]!;
    let l = 0;
    while (l < 16 && x[l] === y[l]) l++;
    points.add(hex(x, l));
    points.add(hex(x, l + 1));
    points.add(hex(y, l + 1));
  }
  return points.size;
}

function streamInfo(c: Ctx, s: Stream, a: Argv): Reply {
  const extra = a.length - 3;
  let full = false;
  let count = infoFullCountDefault;
  if (extra === 1 || extra === 3) {
    if (upper(a[3]!) !== 'FULL') return subSyntax(a, 'XINFO');
    full = true;
    if (extra === 3) {
      if (upper(a[4]!) !== 'COUNT') return subSyntax(a, 'XINFO');
      const v = longLong(a[5]!);
      if (isReply(v)) return v;
      count = v < 0n ? infoFullCountDefault : v;
    }
  } else if (extra !== 0) return subSyntax(a, 'XINFO');
  const head: [string, Reply][] = [
    ['length', int(s.length)],
    ['radix-tree-keys', int(s.nodes.length)],
    ['radix-tree-nodes', int(raxNodes(s))],
    ['last-generated-id', idReply(s.lastId)],
    ['max-deleted-entry-id', idReply(s.maxDeletedId)],
    ['entries-added', int(s.entriesAdded)],
    ['recorded-first-entry-id', idReply(s.firstId)],
  ];
  if (!full) {
    const first = edgeEntry(s, true);
    const last = edgeEntry(s, false);
    return pairs([...head, ['groups', int(s.groups.size)], ['first-entry', first === null ? NULL : entryReply(first)], ['last-entry', last === null ? NULL : entryReply(last)]]);
  }
  const limit = (n: number): boolean => count === 0n || BigInt(n) < count;
  const groups = groupsInOrder(s).map((g) => {
    const pending: Reply[] = [];
    for (const p of g.pel) {
      if (!limit(pending.length)) break;
      pending.push(array([idReply(p.id), bulk(fromLatin1(p.consumer.name)), int(p.deliveryMs), int(p.deliveryCount)]));
    }
    const consumers = consumersInOrder(g).map((x) => {
      const own: Reply[] = [];
      for (const p of g.pel) {
        if (!limit(own.length)) break;
        if (p.consumer === x) own.push(array([idReply(p.id), int(p.deliveryMs), int(p.deliveryCount)]));
      }
      return pairs([
        ['name', bulk(fromLatin1(x.name))],
        ['seen-time', int(x.seenMs)],
        ['pel-count', int(x.pending)],
        ['pending', array(own)],
      ]);
    });
    return pairs([
      ['name', bulk(fromLatin1(g.name))],
      ['last-delivered-id', idReply(g.lastId)],
      ['entries-read', entriesReadReply(g)],
      ['lag', lagReply(s, g)],
      ['pel-count', int(g.pel.length)],
      ['pending', array(pending)],
      ['consumers', array(consumers)],
    ]);
  });
  return pairs([...head, ['entries', array(take(forward(s, idZero, idMax), count).map(entryReply))], ['groups', array(groups)]]);
}

function edgeEntry(s: Stream, first: boolean): LiveEntry | null {
  const r = (first ? forward(s, idZero, idMax) : backward(s, idMax, idZero)).next();
  return r.done === true ? null : r.value;
}

export function xinfo(c: Ctx, a: Argv): Reply {
  const sub = subcommand(a, 'XINFO', xinfoArity);
  if (isReply(sub)) return sub;
  if (sub === 'HELP')
    return help([
      'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'CONSUMERS <key> <groupname>',
      '    Show consumers of <groupname>.',
      'GROUPS <key>',
      '    Show the stream consumer groups.',
      'STREAM <key> [FULL [COUNT <count>]',
      '    Show information about the stream.',
      'HELP',
      '    Prints this help.',
    ]);
  const s = getStream(c, keyOf(a, 2));
  if (isReply(s)) return s;
  if (s === null) return E.noSuchKey;
  if (sub === 'CONSUMERS') {
    const g = s.groups.get(latin1(a[3]!));
    if (g === undefined) return err(`NOGROUP No such consumer group '${cstr(a[3]!)}' for key name '${cstr(a[2]!)}'`);
    return array(
      consumersInOrder(g).map((x) =>
        pairs([
          ['name', bulk(fromLatin1(x.name))],
          ['pending', int(x.pending)],
          ['idle', int(Math.max(0, c.nowMs - x.seenMs))],
        ]),
      ),
    );
  }
  if (sub === 'GROUPS')
    return array(
      groupsInOrder(s).map((g) =>
        pairs([
          ['name', bulk(fromLatin1(g.name))],
          ['consumers', int(g.consumers.size)],
          ['pending', int(g.pel.length)],
          ['last-delivered-id', idReply(g.lastId)],
          ['entries-read', entriesReadReply(g)],
          ['lag', lagReply(s, g)],
        ]),
      ),
    );
  return streamInfo(c, s, a);
}
