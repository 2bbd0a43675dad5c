/**
 * The Redis side's vocabulary, shared by the RESP codec (src/wire/resp), the RESP front end (src/servers/redis)
 * and the keyspace state machine (src/core/keyspace): a command is an argv of byte strings, a reply is a
 * protocol-neutral `Reply` value that the codec writes as RESP2 or RESP3 for the connection that asked.
 *
 * RESP2 renders the RESP3-only kinds as Redis 7.0 does: map → flat array of pairs, set → array, double → bulk
 * string, boolean → integer 0/1, verbatim → bulk string (without the `txt:` prefix), big number → bulk string,
 * null → `$-1` (or `*-1` for `NullArray`). See ../../docs/resp.md and shared spec redis.md §1.
 */

/** One command as a client sent it: the name first, every argument as raw bytes. */
export type Argv = readonly Uint8Array[];

export type Reply =
  /** `+OK` */
  | { readonly kind: 'Simple'; readonly text: string }
  /** `-ERR ...`: `text` holds the whole line after '-', code included (e.g. "WRONGTYPE Operation against ..."). */
  | { readonly kind: 'Error'; readonly text: string }
  /** `:n` (signed 64-bit: a bigint outside the safe integer range). */
  | { readonly kind: 'Int'; readonly value: number | bigint }
  /** `$n` bulk / blob string. */
  | { readonly kind: 'Bulk'; readonly bytes: Uint8Array }
  /** RESP3 `_`; RESP2 `$-1`. */
  | { readonly kind: 'Null' }
  /** RESP3 `_`; RESP2 `*-1` (EXEC aborted by WATCH, BLPOP timeout). */
  | { readonly kind: 'NullArray' }
  | { readonly kind: 'Array'; readonly items: readonly Reply[] }
  /** RESP3 `%`; RESP2 a flat array k1 v1 k2 v2 ..., or with `resp2: 'pairs'` an array of [k, v] pairs (XREAD). */
  | { readonly kind: 'Map'; readonly entries: readonly (readonly [Reply, Reply])[]; readonly resp2?: 'pairs' }
  /** RESP3 an array of 2-element arrays; RESP2 a flat array k1 v1 k2 v2 ... (HRANDFIELD WITHVALUES, ZRANGE WITHSCORES). */
  | { readonly kind: 'Pairs'; readonly pairs: readonly (readonly [Reply, Reply])[] }
  /** RESP3 `~`; RESP2 an array. */
  | { readonly kind: 'Set'; readonly items: readonly Reply[] }
  /** RESP3 `,`; RESP2 a bulk string (Redis's formatting of the double). */
  | { readonly kind: 'Double'; readonly value: number }
  /** RESP3 `#t`/`#f`; RESP2 `:1`/`:0`. */
  | { readonly kind: 'Bool'; readonly value: boolean }
  /** RESP3 `=len\r\ntxt:...`; RESP2 a bulk string of `text`. */
  | { readonly kind: 'Verbatim'; readonly format: string; readonly text: string }
  /** RESP3 `(digits`; RESP2 a bulk string. */
  | { readonly kind: 'BigNumber'; readonly digits: string }
  /** RESP3 `>` out-of-band push (pub/sub messages, invalidations); RESP2 an array. */
  | { readonly kind: 'Push'; readonly items: readonly Reply[] };

export type ReplyKind = Reply['kind'];
