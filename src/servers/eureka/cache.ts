/**
 * Eureka's two-level response cache (ResponseCacheImpl), at the front end: encoded (and lazily gzipped once)
 * bodies per (key, format, compact).
 * - readWrite: an entry lives `responseCacheAutoExpirationMs` (180 s) after it was loaded, and is invalidated by
 *   registry changes: each load asks the registry actor with the mutation count the entry was built at; the
 *   actor answers NotModified (304) when no register/cancel/evict/status change happened since.
 * - readOnly (default on): served without asking anyone; every `responseCacheUpdateIntervalMs` (30 s, aligned to
 *   wall-clock multiples) each present key is copied from readWrite. The first request for a key fills it.
 * Registry reads of ALL_APPS_DELTA bump the delta version on each readWrite load, as Eureka.
 */
import { gzipSync } from 'node:zlib';
import type { ReadKey, RegistryReply, RegistryRequest } from '../../core/registry/messages.js';
import type { AppsView } from '../../core/registry/types.js';
import { encodeAppJson, encodeAppXml, encodeAppsJson, encodeAppsXml } from '../../wire/eureka/codec.js';
import type { Gateway } from './gateway.js';

/** Cached responses per level; the least recently loaded go first. */
export const responseCacheEntriesMax = 10_000;

export type Format = 'json' | 'xml';

export interface CacheEntry {
  readonly code: 200 | 404;
  readonly mutation: number;
  readonly loadedMs: number;
  readonly body: Buffer;
  gz: Buffer | null;
}

export type CacheResult = CacheEntry | CacheFailure;
export interface CacheFailure {
  readonly code: 403 | 503;
  readonly error: string;
}

export interface ResponseCacheOptions {
  readonly gateway: Gateway;
  readonly registryAddress: string;
  readonly updateIntervalMs: number;
  readonly autoExpirationMs: number;
  readonly useReadOnly: boolean;
  readonly askTimeoutMs: number;
}

export type CacheableKey = Extract<ReadKey, { kind: 'apps' | 'delta' | 'app' | 'vip' | 'svip' }>;

function keyString(k: CacheableKey, fmt: Format, compact: boolean): string {
  const name = k.kind === 'apps' ? 'ALL_APPS' : k.kind === 'delta' ? 'ALL_APPS_DELTA' : k.name;
  return `${k.kind}|${name}|${fmt}|${compact ? 'compact' : 'full'}`;
}

export function gzipOf(e: CacheEntry): Buffer {
  if (e.gz === null) e.gz = gzipSync(e.body);
  return e.gz;
}

export class ResponseCache {
  private readonly readWrite = new Map<string, CacheEntry>();
  private readonly readOnly = new Map<string, CacheEntry>();
  private readonly keys = new Map<string, { key: CacheableKey; fmt: Format; compact: boolean; gzip: boolean }>();
  private readonly loading = new Map<string, Promise<CacheResult>>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  loads = 0;

  constructor(private readonly o: ResponseCacheOptions) {
    if (o.useReadOnly) this.armRefresh();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  async get(key: CacheableKey, fmt: Format, compact: boolean, gzip = true): Promise<CacheResult> {
    const ks = keyString(key, fmt, compact);
    if (this.o.useReadOnly) {
      const ro = this.readOnly.get(ks);
      if (ro !== undefined) return ro;
    }
    const r = await this.loadReadWrite(ks, key, fmt, compact, gzip);
    if (this.o.useReadOnly && (r.code === 200 || r.code === 404)) this.put(this.readOnly, ks, r);
    return r;
  }

  private put(m: Map<string, CacheEntry>, ks: string, e: CacheEntry): void {
    m.delete(ks);
    m.set(ks, e);
    if (m.size > responseCacheEntriesMax) {
      const oldest = m.keys().next().value;
      if (oldest !== undefined) m.delete(oldest);
    }
  }

  private loadReadWrite(ks: string, key: CacheableKey, fmt: Format, compact: boolean, gzip: boolean): Promise<CacheResult> {
    const inflight = this.loading.get(ks);
    if (inflight !== undefined) return inflight;
    const p = this.doLoad(ks, key, fmt, compact, gzip).finally(() => this.loading.delete(ks));
    this.loading.set(ks, p);
    return p;
  }

  private async doLoad(ks: string, key: CacheableKey, fmt: Format, compact: boolean, gzip: boolean): Promise<CacheResult> {
    const now = Date.now();
    let e = this.readWrite.get(ks);
    if (e !== undefined && now - e.loadedMs >= this.o.autoExpirationMs) {
      this.readWrite.delete(ks);
      e = undefined;
    }
    let r: RegistryReply;
    try {
      r = await this.o.gateway.ask<RegistryReply>(
        this.o.registryAddress,
        { type: 'EurekaRead', key, encode: { format: fmt, compact, gzip }, ...(e !== undefined ? { haveMutation: e.mutation } : {}) } satisfies RegistryRequest,
        this.o.askTimeoutMs,
      );
    } catch (err) {
      return { code: 503, error: `registry unavailable: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (r.type !== 'EurekaReadResult') return { code: 503, error: `unexpected reply ${r.type}` };
    if (r.code === 403) return { code: 403, error: 'registry not yet open for traffic (startup sync)' };
    if (r.code === 304 && e !== undefined) return e;
    this.loads++;
    this.keys.set(ks, { key, fmt, compact, gzip });
    const body = r.code === 404 ? Buffer.alloc(0) : r.body !== undefined ? Buffer.from(r.body) : encode(r, fmt, compact);
    const gz = r.gz !== undefined ? Buffer.from(r.gz.buffer, r.gz.byteOffset, r.gz.byteLength) : null;
    const entry: CacheEntry = { code: r.code === 404 ? 404 : 200, mutation: r.mutation, loadedMs: now, body, gz };
    this.put(this.readWrite, ks, entry);
    if (this.keys.size > responseCacheEntriesMax * 2) {
      for (const k of this.keys.keys()) if (!this.readWrite.has(k) && !this.readOnly.has(k)) this.keys.delete(k);
    }
    return entry;
  }

  private armRefresh(): void {
    if (this.closed) return;
    const iv = this.o.updateIntervalMs;
    const delay = iv - (Date.now() % iv); // aligned to wall-clock multiples, as Eureka's timer
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.armRefresh());
    }, delay);
    this.timer.unref?.();
  }

  private async refresh(): Promise<void> {
    for (const ks of [...this.readOnly.keys()]) {
      if (this.closed) return;
      const k = this.keys.get(ks);
      if (k === undefined) continue;
      const r = await this.loadReadWrite(ks, k.key, k.fmt, k.compact, k.gzip);
      if (r.code === 200 || r.code === 404) this.put(this.readOnly, ks, r);
    }
  }
}

function encode(r: Extract<RegistryReply, { type: 'EurekaReadResult' }>, fmt: Format, compact: boolean): Buffer {
  if (r.code === 404) return Buffer.alloc(0);
  if (r.app !== undefined) return Buffer.from(fmt === 'json' ? encodeAppJson(r.app, { compact }) : encodeAppXml(r.app, { compact }));
  const apps: AppsView = r.apps ?? { versionsDelta: '1', appsHashcode: '', applications: [] };
  return Buffer.from(fmt === 'json' ? encodeAppsJson(apps, { compact }) : encodeAppsXml(apps, { compact }));
}
