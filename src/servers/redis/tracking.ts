/**
 * Client-side caching at the RESP front end (Redis 7.0's CLIENT TRACKING). See ../../../docs/tracking.md.
 *
 * - The tracking table lives here: key → tracking client ids (default mode: keys a client read while tracking),
 *   prefix → BCAST client ids, and each connection's options. As Redis, the table ignores the db.
 * - Changes come from the node's `redis` actor at apply, on every node, with the pub/sub poll (`modified`): the
 *   front end asks it to collect while it has tracking clients (`PubsubService.trackingCollect`).
 * - A read is remembered when dispatched and again when answered: an invalidation delivered in between (a write
 *   applied around the read) cannot leave a cached value untracked; at worst the client gets one extra invalidation.
 * - NOLOOP: a default-mode client forgets the keys its own writes name when it sends them (as Redis forgets the key
 *   without telling the writer); in BCAST mode NOLOOP changes nothing (the client gets invalidations of its own
 *   writes too: one more invalidation than Redis, never one less).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import type { ReadyKey } from '../../protocol/keyspace.js';
import type { RespVersion } from '../../wire/resp/index.js';
import type { PubsubService, Subscriptions } from './pubsub.js';

/** Keys the default-mode table remembers, at most (Redis's tracking-table-max-keys default); beyond: new reads are not tracked and their clients get a flush. */
export const trackedKeysMax = 1_000_000;

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
const upper = (b: Uint8Array): string => latin1(b).toUpperCase();
const bulk = (b: Uint8Array | string): Reply => ({ kind: 'Bulk', bytes: typeof b === 'string' ? Buffer.from(b, 'latin1') : b });
const int = (value: number): Reply => ({ kind: 'Int', value });
const ok: Reply = { kind: 'Simple', text: 'OK' };
const err = (text: string): Reply => ({ kind: 'Error', text });
const channelName = '__redis__:invalidate';

/** One connection's tracking options (CLIENT TRACKING ON). */
interface Options {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: string[];
  /** CLIENT CACHING YES|NO, for the next command only. */
  caching: boolean;
}

/** A connection as tracking needs it. */
export interface TrackingClient {
  readonly id: number;
  readonly resp: RespVersion;
  readonly subs: Subscriptions;
  push(r: Reply): void;
}

export class TrackingTable {
  private readonly clients = new Map<number, Options>();
  private readonly keys = new Map<string, Set<number>>();
  private readonly prefixes = new Map<string, Set<number>>();
  /** Collection asked of the node (the answer to the first ask gates CLIENT TRACKING ON's reply). */
  private collecting: Promise<void> | null = null;

  constructor(
    private readonly service: PubsubService | undefined,
    private readonly lookup: (id: number) => TrackingClient | undefined,
  ) {}

  /** INFO's tracking_clients. */
  get count(): number {
    return this.clients.size;
  }

  on(id: number): boolean {
    return this.clients.has(id);
  }

  /** CLIENT TRACKING / CACHING / TRACKINGINFO / GETREDIR; undefined for other subcommands. */
  command(c: TrackingClient, sub: string, argv: Argv): Reply | Promise<Reply> | undefined {
    switch (sub) {
      case 'tracking':
        return this.tracking(c, argv);
      case 'caching': {
        const o = this.clients.get(c.id);
        if (o === undefined) return err('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
        const v = upper(argv[2]!);
        if (v === 'YES') {
          if (!o.optin) return err('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
        } else if (v === 'NO') {
          if (!o.optout) return err('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
        } else return err('ERR syntax error');
        o.caching = true;
        return ok;
      }
      case 'getredir': {
        const o = this.clients.get(c.id);
        return int(o === undefined ? -1 : o.redirect);
      }
      case 'trackinginfo': {
        const o = this.clients.get(c.id);
        const flags: string[] = [];
        if (o === undefined) flags.push('off');
        else {
          flags.push('on');
          if (o.bcast) flags.push('bcast');
          if (o.optin) flags.push('optin');
          if (o.optout) flags.push('optout');
          if (o.optin && o.caching) flags.push('caching-yes');
          if (o.optout && o.caching) flags.push('caching-no');
          if (o.noloop) flags.push('noloop');
          if (o.redirect > 0 && this.lookup(o.redirect) === undefined) flags.push('broken_redirect');
        }
        return {
          kind: 'Map',
          entries: [
            [bulk('flags'), { kind: 'Set', items: flags.map((f) => bulk(f)) }],
            [bulk('redirect'), int(o === undefined ? -1 : o.redirect)],
            [bulk('prefixes'), { kind: 'Array', items: (o?.prefixes ?? []).map((p) => bulk(p)) }],
          ],
        };
      }
      default:
        return undefined;
    }
  }

  private tracking(c: TrackingClient, argv: Argv): Reply | Promise<Reply> {
    let redirect = 0;
    let bcast = false;
    let optin = false;
    let optout = false;
    let noloop = false;
    const prefixes: string[] = [];
    for (let j = 3; j < argv.length; j++) {
      const more = argv.length - 1 - j > 0;
      const opt = upper(argv[j]!);
      if (opt === 'REDIRECT' && more) {
        j++;
        if (redirect !== 0) return err('ERR A client can only redirect to a single other client');
        const s = latin1(argv[j]!);
        if (!/^(0|-?[1-9]\d{0,18})$/.test(s) || !Number.isSafeInteger(Number(s))) return err('ERR value is not an integer or out of range');
        redirect = Number(s);
        if (this.lookup(redirect) === undefined) return err('ERR The client ID you want redirect to does not exist');
      } else if (opt === 'BCAST') bcast = true;
      else if (opt === 'OPTIN') optin = true;
      else if (opt === 'OPTOUT') optout = true;
      else if (opt === 'NOLOOP') noloop = true;
      else if (opt === 'PREFIX' && more) prefixes.push(latin1(argv[++j]!));
      else return err('ERR syntax error');
    }
    const mode = upper(argv[2]!);
    if (mode === 'OFF') {
      this.off(c.id);
      return ok;
    }
    if (mode !== 'ON') return err('ERR syntax error');
    const old = this.clients.get(c.id);
    if (!bcast && prefixes.length > 0) return err('ERR PREFIX option requires BCAST mode to be enabled');
    if (old !== undefined && old.bcast !== bcast) {
      return err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if (bcast && (optin || optout)) return err('ERR OPTIN and OPTOUT are not compatible with BCAST');
    if (optin && optout) return err("ERR You can't specify both OPTIN mode and OPTOUT mode");
    if (old !== undefined && ((optin && old.optout) || (optout && old.optin))) {
      return err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if (bcast) {
      for (let i = 0; i < prefixes.length; i++) {
        const p = prefixes[i]!;
        for (const q of old?.prefixes ?? []) {
          if (p.startsWith(q) || q.startsWith(p)) return err(`ERR Prefix '${p}' overlaps with an existing prefix '${q}'. Prefixes for a single client must not overlap.`);
        }
        for (const q of prefixes.slice(i + 1)) {
          if (p.startsWith(q) || q.startsWith(p)) return err(`ERR Prefix '${p}' overlaps with another provided prefix '${q}'. Prefixes for a single client must not overlap.`);
        }
      }
    }
    // as Redis's enableTracking: options accumulate; BCAST without PREFIX tracks the empty prefix
    const o: Options = old ?? { redirect: 0, bcast, optin: false, optout: false, noloop: false, prefixes: [], caching: false };
    o.redirect = redirect;
    o.optin = o.optin || optin;
    o.optout = o.optout || optout;
    o.noloop = o.noloop || noloop;
    if (bcast) {
      const add = prefixes.length === 0 ? [''] : prefixes;
      for (const p of add) {
        if (o.prefixes.includes(p)) continue;
        o.prefixes.push(p);
        let set = this.prefixes.get(p);
        if (set === undefined) this.prefixes.set(p, (set = new Set()));
        set.add(c.id);
      }
    }
    this.clients.set(c.id, o);
    return this.collect().then(
      () => ok,
      (e: Error) => {
        this.off(c.id);
        return err(`TRYAGAIN tracking not registered (${e.message})`);
      },
    );
  }

  /** Asks the node to collect changed keys (once; again after it lost them). */
  private collect(): Promise<void> {
    if (this.service === undefined) return Promise.resolve();
    if (this.collecting === null) {
      const p = this.service.trackingCollect(true);
      this.collecting = p;
      p.catch(() => {
        if (this.collecting === p) this.collecting = null;
      });
    }
    return this.collecting;
  }

  /** CLIENT TRACKING OFF, RESET, or the connection closed. */
  off(id: number): void {
    const o = this.clients.get(id);
    if (o === undefined) return;
    this.clients.delete(id);
    for (const p of o.prefixes) {
      const set = this.prefixes.get(p)!;
      set.delete(id);
      if (set.size === 0) this.prefixes.delete(p);
    }
    // default-mode keys of the client are dropped lazily (as Redis): an invalidation skips absent clients
    if (this.clients.size === 0) {
      this.keys.clear();
      this.collecting = null;
      this.service?.trackingCollect(false).catch(() => undefined);
    }
  }

  /**
   * A command is dispatched (and, for a read, answered again): a read's keys are remembered for the client in
   * default mode (OPTIN: only after CLIENT CACHING YES; OPTOUT: unless CLIENT CACHING NO); NOLOOP: a write's keys
   * are forgotten for the writer.
   */
  keysUsed(id: number, keys: readonly Uint8Array[], reading: boolean): boolean {
    const o = this.clients.get(id);
    if (o === undefined || o.bcast || keys.length === 0) return false;
    if (!reading) {
      if (o.noloop) for (const k of keys) this.keys.get(latin1(k))?.delete(id);
      return false;
    }
    if (o.optin ? !o.caching : o.optout && o.caching) return false;
    this.remember(id, keys);
    return true;
  }

  /** The keys of a read are tracked for the client (again when it is answered, if they were at dispatch). */
  remember(id: number, keys: readonly Uint8Array[]): void {
    if (!this.clients.has(id)) return;
    for (const k of keys) {
      const name = latin1(k);
      let set = this.keys.get(name);
      if (set === undefined) {
        if (this.keys.size >= trackedKeysMax) {
          this.send(id, null);
          continue;
        }
        this.keys.set(name, (set = new Set()));
      }
      set.add(id);
    }
  }

  /** After a command other than CLIENT (outside MULTI): CLIENT CACHING's effect ends. */
  commandDone(id: number): void {
    const o = this.clients.get(id);
    if (o !== undefined) o.caching = false;
  }

  /** Keys changed at apply (null: a flush), in order. */
  modified(changes: readonly (ReadyKey | null)[]): void {
    const bcast = new Map<number, Uint8Array[]>();
    for (const ch of changes) {
      if (ch === null) {
        for (const id of this.clients.keys()) this.send(id, null);
        this.keys.clear();
        bcast.clear();
        continue;
      }
      const name = latin1(ch.key);
      const set = this.keys.get(name);
      if (set !== undefined) {
        this.keys.delete(name);
        for (const id of set) if (this.clients.has(id)) this.send(id, [ch.key]);
      }
      for (const [p, ids] of this.prefixes) {
        if (!name.startsWith(p)) continue;
        for (const id of ids) {
          let keys = bcast.get(id);
          if (keys === undefined) bcast.set(id, (keys = []));
          if (!keys.some((k) => latin1(k) === name)) keys.push(ch.key);
        }
      }
    }
    for (const [id, keys] of bcast) this.send(id, keys);
  }

  /** The node lost what it collected: every tracking client drops everything; collect again. */
  lost(): void {
    if (this.clients.size === 0) return;
    this.collecting = null;
    void this.collect().catch(() => undefined);
    this.modified([null]);
  }

  /** One invalidation message (null: everything), to the client or its REDIRECT target, as Redis's sendTrackingMessage. */
  private send(id: number, keys: readonly Uint8Array[] | null): void {
    const o = this.clients.get(id);
    if (o === undefined) return;
    let to = this.lookup(id);
    if (o.redirect > 0) {
      const target = this.lookup(o.redirect);
      if (target === undefined) {
        if (to !== undefined && to.resp === 3) to.push({ kind: 'Push', items: [bulk('tracking-redir-broken'), int(o.redirect)] });
        return;
      }
      to = target;
    }
    if (to === undefined) return;
    const payload: Reply = keys === null ? { kind: 'Null' } : { kind: 'Array', items: keys.map((k) => bulk(k)) };
    if (to.resp === 3) to.push({ kind: 'Push', items: [bulk('invalidate'), payload] });
    else if (o.redirect > 0 && to.subs.total > 0) to.push({ kind: 'Push', items: [bulk('message'), bulk(channelName), payload] });
  }
}
