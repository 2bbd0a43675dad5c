/**
 * Renders docs/grafana-dashboard.png: a live 3-node `conclave start` cluster under a small mixed load (ZooKeeper
 * creates, Redis SETs/GETs, a Eureka registration), every node's /metrics scraped once a second, and each panel of
 * docs/grafana-dashboard.json drawn from those scrapes (its PromQL evaluated here for the few forms the dashboard
 * uses) as a static page in Grafana's dark look, photographed by Debian's chromium through playwright-core.
 *
 *   npm run build && node dist/bench/dashboard-image.js [seconds]
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { chromium } from 'playwright-core';
import { startEmbedded } from '../src/start.js';
import { RawZk } from '../test/zookeeper/raw-zk.js';
import { scrape, type Sample } from '../test/cluster/metrics-text.js';

const chromiumPath = '/usr/bin/chromium';
const scrapeEveryMs = 1_000;
/** Load steps per scrape (each: one create, two SETs, one GET). */
const loadStepsPerScrape = 20;
const secondsDefault = 40;
const secondsMax = 300;
/** The rate window of the dashboard's `[1m]`, in scrapes. */
const rateWindowScrapes = 60;

interface Scrape {
  readonly t: number;
  readonly samples: readonly Sample[];
}
type Series = Map<string, { labels: Record<string, string>; points: [number, number][] }>;

const keyOf = (l: Record<string, string>): string => JSON.stringify(Object.entries(l).sort());
const pick = (l: Record<string, string>, by: readonly string[]): Record<string, string> => Object.fromEntries(by.filter((k) => k in l).map((k) => [k, l[k]!]));

/** `name` or `name{...}` at one scrape: label set → value. */
function instant(s: Scrape, name: string): Map<string, { labels: Record<string, string>; v: number }> {
  const out = new Map<string, { labels: Record<string, string>; v: number }>();
  for (const x of s.samples) if (x.name === name) out.set(keyOf(x.labels), { labels: x.labels, v: x.value });
  return out;
}

type Vector = Map<string, { labels: Record<string, string>; v: number }>;

/** Evaluate one expression at scrape i: bare metrics, rate(m[1m]), sum by (...) (e), a / b, histogram_quantile. */
function evaluate(expr: string, hist: readonly Scrape[], i: number): Vector {
  const e = expr.trim();
  let m = /^histogram_quantile\(([\d.]+),\s*(.*)\)$/.exec(e);
  if (m !== null) {
    const q = Number(m[1]);
    const buckets = evaluate(m[2]!, hist, i);
    const groups = new Map<string, { labels: Record<string, string>; b: [number, number][] }>();
    for (const { labels, v } of buckets.values()) {
      const { le, ...rest } = labels;
      const k = keyOf(rest);
      if (!groups.has(k)) groups.set(k, { labels: rest, b: [] });
      groups.get(k)!.b.push([le === '+Inf' ? Infinity : Number(le), v]);
    }
    const out: Vector = new Map();
    for (const [k, g] of groups) {
      g.b.sort((a, b) => a[0] - b[0]);
      const total = g.b[g.b.length - 1]?.[1] ?? 0;
      if (total <= 0) continue;
      const rank = q * total;
      let prevLe = 0;
      let prevC = 0;
      for (const [le, c] of g.b) {
        if (c >= rank) {
          const v = le === Infinity ? prevLe : prevLe + ((le - prevLe) * (rank - prevC)) / Math.max(c - prevC, 1e-9);
          out.set(k, { labels: g.labels, v });
          break;
        }
        prevLe = le;
        prevC = c;
      }
    }
    return out;
  }
  m = /^sum by \(([^)]*)\) \((.*)\)$/.exec(e);
  if (m !== null) {
    const by = m[1]!.split(',').map((x) => x.trim());
    const out: Vector = new Map();
    for (const { labels, v } of evaluate(m[2]!, hist, i).values()) {
      const l = pick(labels, by);
      const k = keyOf(l);
      out.set(k, { labels: l, v: (out.get(k)?.v ?? 0) + v });
    }
    return out;
  }
  m = /^rate\(([a-zA-Z_:][\w:]*)\[1m\]\)$/.exec(e);
  if (m !== null) {
    const j = Math.max(0, i - rateWindowScrapes);
    const now = instant(hist[i]!, m[1]!);
    const then = instant(hist[j]!, m[1]!);
    const seconds = Math.max((hist[i]!.t - hist[j]!.t) / 1000, 1e-9);
    const out: Vector = new Map();
    if (i === j) return out;
    for (const [k, x] of now) out.set(k, { labels: x.labels, v: Math.max(0, x.v - (then.get(k)?.v ?? 0)) / seconds });
    return out;
  }
  m = /^(\S+) \/ (\S+)$/.exec(e);
  if (m !== null) {
    const a = evaluate(m[1]!, hist, i);
    const b = evaluate(m[2]!, hist, i);
    const out: Vector = new Map();
    for (const [k, x] of a) {
      const d = b.get(k)?.v ?? 0;
      if (d > 0) out.set(k, { labels: x.labels, v: x.v / d });
    }
    return out;
  }
  if (/^[a-zA-Z_:][\w:]*$/.test(e)) return instant(hist[i]!, e);
  throw new Error(`the renderer does not evaluate '${e}'`);
}

interface Panel {
  readonly title: string;
  readonly type: string;
  readonly fieldConfig: { defaults: { unit: string } };
  readonly targets: readonly { expr: string; legendFormat: string }[];
}

function seriesOf(p: Panel, hist: readonly Scrape[]): Series {
  const out: Series = new Map();
  for (const t of p.targets) {
    for (let i = 0; i < hist.length; i++) {
      for (const { labels, v } of evaluate(t.expr, hist, i).values()) {
        const legend = t.legendFormat.replace(/\{\{(\w+)\}\}/g, (_, k: string) => labels[k] ?? '');
        if (!out.has(legend)) out.set(legend, { labels, points: [] });
        out.get(legend)!.points.push([hist[i]!.t, v]);
      }
    }
  }
  return out;
}

const palette = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#705da0', '#37872d', '#fade2a', '#c4162a', '#1f60c4'];
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number, unit: string): string => {
  const n = Math.abs(v);
  const num = n >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : n >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(2);
  return unit === 'ms' ? `${num} ms` : unit === 's' ? `${(v * 1000).toFixed(2)} ms` : unit === 'bytes' ? `${num}B` : unit === 'ops' ? `${num}/s` : num;
};

function panelHtml(p: Panel, hist: readonly Scrape[]): string {
  const unit = p.fieldConfig.defaults.unit;
  const series = [...seriesOf(p, hist)].slice(0, palette.length);
  if (p.type === 'stat') {
    const cells = series.map(([legend, s], k) => `<div class="stat"><b style="color:${palette[k % palette.length]}">${esc(fmt(s.points[s.points.length - 1]?.[1] ?? 0, unit))}</b><span>${esc(legend)}</span></div>`);
    return `<div class="panel"><h3>${esc(p.title)}</h3><div class="stats">${cells.join('') || '<i>no data</i>'}</div></div>`;
  }
  const w = 400;
  const h = 150;
  const t0 = hist[0]!.t;
  const t1 = hist[hist.length - 1]!.t;
  const vmax = Math.max(1e-9, ...series.flatMap(([, s]) => s.points.map((x) => x[1])));
  const x = (t: number): number => 40 + ((t - t0) / Math.max(t1 - t0, 1)) * (w - 45);
  const y = (v: number): number => h - 15 - (v / vmax) * (h - 25);
  const grid = [0, 0.5, 1].map((f) => `<line x1="40" x2="${w}" y1="${y(vmax * f)}" y2="${y(vmax * f)}" class="g"/><text x="36" y="${y(vmax * f) + 4}" class="a">${esc(fmt(vmax * f, unit))}</text>`).join('');
  const lines = series.map(([, s], k) => `<polyline fill="none" stroke="${palette[k % palette.length]}" stroke-width="1.5" points="${s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`).join('');
  const legend = series.map(([l], k) => `<span><i style="background:${palette[k % palette.length]}"></i>${esc(l)}</span>`).join('');
  return `<div class="panel"><h3>${esc(p.title)}</h3><svg viewBox="0 0 ${w} ${h}">${grid}${lines}</svg><div class="legend">${legend}</div></div>`;
}

function page(dash: { title: string; panels: Panel[] }, hist: readonly Scrape[]): string {
  const css = `body{margin:0;background:#111217;color:#ccccdc;font:12px Inter,Helvetica,Arial,sans-serif}
header{padding:10px 16px;font-size:16px;border-bottom:1px solid #2c3235}header small{color:#8e8e8e;margin-left:12px;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;padding:8px}
.panel{background:#181b1f;border:1px solid #2c3235;border-radius:2px;padding:6px 8px;height:215px;overflow:hidden}
h3{margin:0 0 4px;font-size:12px;font-weight:500;color:#d8d9da}svg{width:100%;height:150px}
.g{stroke:#2c3235}.a{fill:#8e8e8e;font-size:9px;text-anchor:end}
.legend{font-size:10px;line-height:13px;max-height:40px;overflow:hidden}.legend span{margin-right:8px;white-space:nowrap}.legend i{display:inline-block;width:10px;height:3px;margin-right:3px;vertical-align:middle}
.stats{display:flex;flex-wrap:wrap;gap:10px;padding-top:20px}.stat{display:flex;flex-direction:column;align-items:center;min-width:70px}.stat b{font-size:26px}.stat span{font-size:10px;color:#8e8e8e}`;
  const secs = Math.round((hist[hist.length - 1]!.t - hist[0]!.t) / 1000);
  return `<!doctype html><html><head><meta charset="utf-8"><style>${css}</style></head><body><header>${esc(dash.title)}<small>docs/grafana-dashboard.json, drawn from ${hist.length} scrapes of a live 3-node cluster over ${secs} s</small></header><div class="grid">${dash.panels.map((p) => panelHtml(p, hist)).join('')}</div></body></html>`;
}

async function main(): Promise<void> {
  const seconds = Math.min(secondsMax, Number(process.argv[2] ?? secondsDefault) || secondsDefault);
  const dash = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8')) as { title: string; panels: Panel[] };
  const s = await startEmbedded({ eurekaBasePort: 0, zkBasePort: 0, redisBasePort: 0, adminBasePort: 0 });
  const hist: Scrape[] = [];
  const zk: RawZk[] = [];
  const redis: Redis[] = [];
  try {
    for (const node of s.cluster.nodes) {
      zk.push(await RawZk.open(s.zk.get(node)!.port));
      const r = new Redis({ port: s.cluster.redisPorts.get(node)!, lazyConnect: true, maxRetriesPerRequest: 2 });
      await r.connect();
      redis.push(r);
    }
    const eurekaUrl = s.endpoints.find((e) => e.service === 'eureka')!.url;
    const instance = { instance: { app: 'DASH', hostName: 'dash-1', ipAddr: '127.0.0.1', port: { $: 9000, '@enabled': 'true' }, vipAddress: 'dash', status: 'UP', dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' } } };
    await fetch(`${eurekaUrl}DASH`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(instance) });
    let n = 0;
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      const t = Date.now();
      const pages = await Promise.all([...s.admin.values()].map((a) => scrape(a.port)));
      hist.push({ t, samples: pages.flat() });
      // the load rises and falls, so the lines move
      const steps = Math.round(loadStepsPerScrape * (1 + Math.sin(hist.length / 6)));
      for (let k = 0; k < steps; k++, n++) {
        const c = zk[n % zk.length]!;
        const r = redis[n % redis.length]!;
        await c.create(`/dash-${n}`, 'x'.repeat(n % 64));
        await r.set(`k${n}`, 'v', 'PX', 5_000);
        await r.set(`p${n % 100}`, 'v');
        await r.get(`k${n}`);
      }
      await new Promise((res) => setTimeout(res, Math.max(0, scrapeEveryMs - (Date.now() - t))));
    }
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const p = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
      await p.setContent(page(dash, hist));
      await p.screenshot({ path: 'docs/grafana-dashboard.png', fullPage: true });
    } finally {
      await browser.close();
    }
    process.stdout.write(`docs/grafana-dashboard.png: ${dash.panels.length} panels from ${hist.length} scrapes, ${n} load steps\n`);
  } finally {
    for (const r of redis) r.disconnect();
    for (const c of zk) await c.close();
    await s.close();
  }
}

await main();
