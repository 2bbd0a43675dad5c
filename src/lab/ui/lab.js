// The failure lab's page: plain JS, canvases drawn for the visible window only. Fed by the server's SSE stream
// (live or a recorded run) or by window.LAB_DATA (report.html). Items: ev, op, st (immer patches), links, msg.
(() => {
  'use strict';
  /** Items the page keeps per kind at most (older ones are dropped; the scrubber cannot go back past them). */
  const keepMax = 300000;
  /** Items per frame whose event-to-pixel time is noted (benchmarks stamp items with `wall`). */
  const pendingSampleMax = 256;
  const faultColors = { kill: '#e05050', restart: '#e05050', partition: '#5080e0', cut: '#50a0c0', slow: '#c0a030', drop: '#a050c0', pause: '#808080', clock: '#40a080', diskStall: '#a07040', diskSlow: '#a07040', duplicate: '#c06090', reorder: '#c06090', corrupt: '#000000' };
  const eventColor = (t) =>
    /Leader|Elect|Following/.test(t) ? '#1a7f37' : /Fault|Crash|Dropped|Dead|Lost|Restarted|Stopped/.test(t) ? '#c00' : /Proposed|Committed|Applied/.test(t) ? '#8aa' : /Session|Watch/.test(t) ? '#a60' : '#555';
  const L = {
    meta: null, events: [], ops: [], st: [], stBase: 0, stIdx: 0, links: [], msgs: [], bands: [], notes: [],
    state: { nodes: {}, actors: {} }, tEnd: 0, tMin: 0, viewT: 0, follow: true, winMs: 10000,
    drawn: { bands: [], failedOps: 0, okOps: 0, events: 0, arrows: 0, throughput: 0 }, hits: [], dirty: true,
    received: 0, renders: 0, latencies: [], renderMs: [], arrivals: [], pendingWalls: [], marks: [], posts: [], violation: new Set(),
  };
  window.lab = L;
  const $ = (id) => document.getElementById(id);
  const nodesOf = () => (L.meta ? L.meta.nodes : Object.keys(L.state.nodes));

  // ---- state: immer patches applied forwards, inverse patches backwards ----
  function applyPatches(obj, patches) {
    for (const p of patches) {
      let o = obj;
      for (let i = 0; i < p.path.length - 1; i++) o = o[p.path[i]];
      const k = p.path[p.path.length - 1];
      if (p.path.length === 0) continue;
      if (p.op === 'remove') delete o[k];
      else o[k] = typeof p.value === 'object' && p.value !== null ? structuredClone(p.value) : p.value;
    }
  }
  function seekState(T) {
    while (L.stIdx < L.st.length && L.st[L.stIdx].t <= T) applyPatches(L.state, L.st[L.stIdx++].p);
    while (L.stIdx > 0 && L.st[L.stIdx - 1].t > T) applyPatches(L.state, L.st[--L.stIdx].ip);
  }

  // ---- fault bands from FaultInjected events ----
  function openBand(kind, t, label, node) {
    L.bands.push({ kind, start: t, end: null, label, node });
  }
  function closeBands(pred, t) {
    for (const b of L.bands) if (b.end === null && pred(b)) b.end = t;
  }
  function onFault(f, t) {
    switch (f.kind) {
      case 'kill': return openBand('kill', t, `kill ${f.node}`, f.node);
      case 'restart': return closeBands((b) => b.kind === 'kill' && b.node === f.node, t);
      case 'heal': return closeBands((b) => b.kind === 'partition' || b.kind === 'cut', t);
      case 'slow': closeBands((b) => b.kind === 'slow' && b.node === f.node, t); return f.delayMs > 0 ? openBand('slow', t, `slow ${f.node} ${f.delayMs} ms`, f.node) : undefined;
      case 'drop': closeBands((b) => b.kind === 'drop', t); return f.ratio > 0 ? openBand('drop', t, `drop ${f.ratio}`) : undefined;
      case 'partition': closeBands((b) => b.kind === 'partition', t); return openBand('partition', t, `partition ${f.groups.map((g) => g.join(',')).join(' | ')}`);
      case 'cut': return openBand('cut', t, `cut ${f.from}>${f.to}`);
      case 'resume': return closeBands((b) => b.kind === 'pause' && b.node === f.node, t);
      case 'duplicate': case 'reorder': closeBands((b) => b.kind === f.kind, t); return f.ratio > 0 ? openBand(f.kind, t, `${f.kind} ${f.ratio}`) : undefined;
      case 'diskSlow': closeBands((b) => b.kind === 'diskSlow' && b.node === f.node, t); return f.delayMs > 0 ? openBand('diskSlow', t, `slow disk ${f.node}`, f.node) : undefined;
      default: return openBand(f.kind, t, f.kind, f.node);
    }
  }

  function trim(arr) {
    if (arr.length > keepMax) arr.splice(0, arr.length - keepMax);
  }
  function ingest(it) {
    L.received++;
    if (it.wall && L.received % 16 === 0) { L.arrivals.push(performance.timeOrigin + performance.now() - it.wall); if (L.arrivals.length > 10000) L.arrivals.shift(); }
    if (it.wall) {
      // the items not yet drawn (a sample of at most pendingSampleMax per frame), for event-to-pixel times
      if (L.pendingWalls.length < pendingSampleMax) L.pendingWalls.push(it.wall);
      else L.pendingWalls[Math.floor(Math.random() * pendingSampleMax)] = it.wall;
    }
    if (it.t > L.tEnd) L.tEnd = it.t;
    switch (it.k) {
      case 'ev':
        L.events.push(it); trim(L.events);
        if (it.e.type === 'FaultInjected') onFault(it.e.fault, it.t);
        // when faults and leader changes reached the page (wall-clock ms): how long click → pixel took, and where
        if ((it.e.type === 'FaultInjected' || it.e.type === 'LeaderElected') && L.marks.length < 1000) L.marks.push({ type: it.e.type, t: it.t, arrived: performance.timeOrigin + performance.now() });
        if (it.e.type === 'NodeStarted') closeBands((b) => b.kind === 'kill' && b.node === it.e.node, it.t);
        break;
      case 'op': L.ops.push(it); trim(L.ops); break;
      case 'st':
        L.st.push(it);
        if (L.follow) seekState(it.t);
        if (L.stIdx > keepMax) { L.st.splice(0, L.stIdx - keepMax); L.stIdx = keepMax; }
        break;
      case 'links': L.links.push(it); trim(L.links); break;
      case 'msg': L.msgs.push(it); trim(L.msgs); break;
    }
    L.tMin = Math.min(L.events[0]?.t ?? 0, L.ops[0]?.t ?? 0);
    L.dirty = true;
  }

  // ---- time axis ----
  function win() {
    const w = L.winMs > 0 ? L.winMs : Math.max(1000, L.viewT - L.tMin);
    return { t0: L.viewT - w, t1: L.viewT, w };
  }
  function sizeCanvas(c, h) {
    const w = c.clientWidth || 800;
    if (c.width !== w) c.width = w;
    if (h !== undefined && c.height !== h) c.height = h;
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    return g;
  }
  /** Draws `fn` clipped to the time area (right of the labels). */
  function clipped(g, c, fn) {
    g.save(); g.beginPath(); g.rect(gutter, 0, c.width - gutter, c.height); g.clip(); fn(); g.restore();
  }
  const gutter = 70;
  const xOf = (c, W, t) => gutter + ((t - W.t0) / W.w) * (c.width - gutter - 4);
  function drawBands(g, c, W, top, bottom, record) {
    for (const b of L.bands) {
      const end = b.end === null ? L.viewT : Math.min(b.end, L.viewT);
      if (b.start > W.t1 || end < W.t0) continue;
      const x0 = Math.max(gutter, xOf(c, W, b.start)), x1 = Math.max(x0 + 2, xOf(c, W, end));
      g.fillStyle = (faultColors[b.kind] || '#888') + '33';
      g.fillRect(x0, top, x1 - x0, bottom - top);
      if (record) L.drawn.bands.push({ kind: b.kind, label: b.label, x0, x1 });
    }
  }
  function lowerBound(arr, t, key) {
    let lo = 0, hi = arr.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (key(arr[m]) < t) lo = m + 1; else hi = m; }
    return lo;
  }

  // ---- panels ----
  function drawStrips() {
    const nodes = nodesOf();
    const rows = ['<tr><th>node</th><th>role</th><th>epoch</th><th>proposed</th><th>committed</th><th>applied</th><th>incarnation</th><th>mailboxes</th></tr>'];
    let leader = '';
    for (const n of nodes) {
      const s = L.state.nodes[n] || {};
      if (s.role === 'leading' && (leader === '' || (s.epoch ?? 0) > (L.state.nodes[leader].epoch ?? 0))) leader = n;
      const boxes = Object.entries(L.state.actors).filter(([a]) => a.startsWith(n + '/')).map(([a, v]) => `${a.slice(n.length + 1)} ${v.mailbox}`).join(' · ');
      rows.push(`<tr class="${s.role || ''}" data-node="${n}"><td>${n}</td><td class="role">${s.role ?? '—'}</td><td>${s.epoch ?? '—'}</td><td>${s.proposed ?? '—'}</td><td>${s.committed ?? '—'}</td><td>${s.applied ?? '—'}</td><td>${s.incarnation ?? '—'}</td><td>${boxes || '—'}</td></tr>`);
    }
    $('strips').innerHTML = rows.join('');
    const el = $('leader');
    el.dataset.leader = leader;
    el.textContent = leader ? `leader ${leader}` : 'no leader';
  }

  function drawLanes(W) {
    const c = $('lanes'), nodes = nodesOf(), laneH = 22;
    const g = sizeCanvas(c, laneH * nodes.length + 18);
    L.drawn.bands = [];
    drawBands(g, c, W, 0, c.height - 16, true);
    g.font = '11px sans-serif';
    nodes.forEach((n, i) => { g.fillStyle = '#333'; g.fillText(n, 4, i * laneH + 15); g.fillStyle = '#eee'; g.fillRect(gutter, (i + 1) * laneH - 1, c.width, 1); });
    const from = lowerBound(L.events, W.t0, (x) => x.t), to = lowerBound(L.events, W.t1 + 1e-9, (x) => x.t);
    L.hits = L.hits.filter((h) => h.c !== 'lanes');
    let lastX = -1, lastLane = -1, drawn = 0;
    for (let i = from; i < to; i++) {
      const it = L.events[i], lane = nodes.indexOf(it.e.node);
      const x = xOf(c, W, it.t), y = lane < 0 ? c.height - 20 : lane * laneH + 4;
      if (Math.round(x) === lastX && lane === lastLane && !/Fault|Leader|Crash/.test(it.e.type)) continue; // one mark per pixel
      lastX = Math.round(x); lastLane = lane; drawn++;
      g.fillStyle = eventColor(it.e.type);
      g.fillRect(x - 1, y, 3, laneH - 8);
      L.hits.push({ c: 'lanes', x, y, w: 3, h: laneH - 8, item: it });
    }
    L.drawn.events = drawn;
    axis(g, c, W);
  }
  function axis(g, c, W) {
    g.fillStyle = '#777'; g.font = '10px sans-serif';
    const step = niceStep(W.w / 8);
    for (let t = Math.ceil(W.t0 / step) * step; t <= W.t1; t += step) g.fillText(`${(t / 1000).toFixed(step < 1000 ? 1 : 0)}s`, xOf(c, W, t) - 8, c.height - 3);
  }
  const niceStep = (x) => { const p = 10 ** Math.floor(Math.log10(Math.max(x, 1))); return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= x) || p * 10; };

  function drawClients(W) {
    const c = $('clients');
    const clients = [...new Set(L.ops.map((o) => o.op.client))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const laneH = 16;
    const g = sizeCanvas(c, Math.max(40, laneH * clients.length + 16));
    drawBands(g, c, W, 0, c.height - 14, false);
    g.font = '11px sans-serif';
    clients.forEach((cl, i) => { g.fillStyle = '#333'; g.fillText(cl, 4, i * laneH + 12); });
    L.hits = L.hits.filter((h) => h.c !== 'clients');
    let failed = 0, ok = 0;
    g.save(); g.beginPath(); g.rect(gutter, 0, c.width - gutter, c.height); g.clip();
    // ops are ordered by return time; an op is visible if it returned after the window began
    const from = lowerBound(L.ops, W.t0, (x) => x.t);
    for (let i = from; i < L.ops.length; i++) {
      const o = L.ops[i].op;
      if (L.ops[i].t > W.t1 + 15000) break;
      if (o.callMs > W.t1) continue;
      const lane = clients.indexOf(o.client), y = lane * laneH + 2;
      const end = o.returnMs === null || o.returnMs > W.t1 ? Math.min(W.t1, o.callMs + 1000) : o.returnMs;
      const x0 = xOf(c, W, o.callMs), x1 = Math.max(x0 + 2, xOf(c, W, Math.min(end, W.t1)));
      g.fillStyle = o.outcome === 'ok' ? '#3a3' : o.outcome === 'fail' ? '#d22' : '#e90';
      g.fillRect(x0, y, x1 - x0, laneH - 5);
      if (o.outcome === 'ok') ok++; else failed++;
      if (L.violation.has(o.id)) { g.strokeStyle = '#d0f'; g.lineWidth = 3; g.strokeRect(x0 - 1, y - 1, x1 - x0 + 2, laneH - 3); }
      L.hits.push({ c: 'clients', x: x0, y, w: x1 - x0, h: laneH - 5, item: L.ops[i] });
    }
    g.restore();
    L.drawn.failedOps = failed; L.drawn.okOps = ok;
    axis(g, c, W);
  }

  function drawPlots(W) {
    const c = $('plots'), g = sizeCanvas(c, 160), bucketMs = Math.max(100, W.w / 100);
    drawBands(g, c, W, 0, c.height - 14, false);
    const n = Math.ceil(W.w / bucketMs), counts = new Array(n).fill(0), lat = [];
    const from = lowerBound(L.ops, W.t0, (x) => x.t);
    for (let i = from; i < L.ops.length; i++) {
      const it = L.ops[i];
      if (it.t > W.t1) break;
      if (it.op.outcome !== 'ok') continue;
      counts[Math.min(n - 1, Math.floor((it.t - W.t0) / bucketMs))]++;
      lat.push([it.t, it.op.returnMs - it.op.callMs]);
    }
    const rates = counts.map((k) => (k * 1000) / bucketMs);
    const maxR = Math.max(10, ...rates), maxL = Math.max(10, ...lat.map((x) => x[1]));
    const H = c.height - 16;
    g.strokeStyle = '#2a6'; g.lineWidth = 1.5; g.beginPath();
    rates.forEach((r, i) => { const x = xOf(c, W, W.t0 + (i + 0.5) * bucketMs), y = H - (r / maxR) * (H - 4); i === 0 ? g.moveTo(x, y) : g.lineTo(x, y); });
    g.stroke();
    g.fillStyle = '#36c8';
    for (const [t, l] of lat) g.fillRect(xOf(c, W, t) - 1, H - (l / maxL) * (H - 4) - 1, 2, 2);
    g.fillStyle = '#2a6'; g.font = '10px sans-serif'; g.fillText(`${Math.round(maxR)} ops/s`, 4, 10);
    g.fillStyle = '#36c'; g.fillText(`${Math.round(maxL)} ms`, 4, 22);
    // throughput over the last second of the window
    const lastS = Math.max(1, Math.round(1000 / bucketMs));
    L.drawn.throughput = Math.round(counts.slice(-lastS - 1, -1).reduce((a, b) => a + b, 0) * 1000 / (lastS * bucketMs));
    axis(g, c, W);
  }

  /** Messages per second on each link, counted from recorded messages sent in [t0, t1]. */
  function msgRates(t0, t1) {
    const r = {};
    const from = lowerBound(L.msgs, t0, (x) => x.t), to = lowerBound(L.msgs, t1 + 1e-9, (x) => x.t);
    for (let i = from; i < to; i++) {
      const m = L.msgs[i].m;
      if (!m.from) continue;
      const k = `${m.from.slice(0, m.from.indexOf('/'))}>${m.to.slice(0, m.to.indexOf('/'))}`;
      r[k] = (r[k] || 0) + 1000 / (t1 - t0);
    }
    for (const k in r) r[k] = Math.round(r[k]);
    return r;
  }
  function drawHeat() {
    const c = $('heat'), g = sizeCanvas(c), nodes = nodesOf();
    const i = lowerBound(L.links, L.viewT + 1e-9, (x) => x.t) - 1;
    const r = i >= 0 ? L.links[i].r : L.msgs.length ? msgRates(L.viewT - 1000, L.viewT) : {};
    const cell = Math.min(60, Math.floor((Math.min(c.width, c.height) - 30) / Math.max(1, nodes.length)));
    const max = Math.max(1, ...Object.values(r));
    g.font = '10px sans-serif';
    nodes.forEach((a, y) => {
      g.fillStyle = '#333'; g.fillText(a, 2, 30 + y * cell + cell / 2); g.fillText(a, 30 + y * cell + cell / 3, 12);
      nodes.forEach((b, x) => {
        const v = r[`${a}>${b}`] || 0;
        g.fillStyle = v === 0 ? '#f4f4f4' : `rgba(220,60,30,${0.15 + 0.85 * Math.log1p(v) / Math.log1p(max)})`;
        g.fillRect(30 + x * cell, 18 + y * cell, cell - 2, cell - 2);
        g.fillStyle = '#000'; g.fillText(v ? String(v) : '', 32 + x * cell, 18 + y * cell + cell / 2);
      });
    });
    g.fillStyle = '#777'; g.fillText('from row to column', 2, c.height - 4);
  }

  function drawLamport(W) {
    const c = $('lamport'), nodes = nodesOf(), g = sizeCanvas(c, 240);
    $('lamportNote').textContent = L.msgs.length ? `(${L.msgs.length} messages; the visible window drawn)` : '(Lamport diagram: simulated and recorded runs)';
    const laneH = (c.height - 20) / Math.max(1, nodes.length);
    g.font = '11px sans-serif';
    nodes.forEach((n, i) => { const y = 10 + (i + 0.5) * laneH; g.fillStyle = '#333'; g.fillText(n, 4, y + 4); g.strokeStyle = '#ccc'; g.beginPath(); g.moveTo(gutter, y); g.lineTo(c.width, y); g.stroke(); });
    const node = (a) => (a ? a.slice(0, a.indexOf('/')) : '');
    let arrows = 0;
    // messages are ordered by send time; one sent up to a window's width before it may still land inside it
    g.save(); g.beginPath(); g.rect(gutter, 0, c.width - gutter, c.height); g.clip();
    const from = lowerBound(L.msgs, W.t0 - W.w, (x) => x.t), to = lowerBound(L.msgs, W.t1 + 1e-9, (x) => x.t);
    for (let i = from; i < to; i++) {
      const m = L.msgs[i].m, a = nodes.indexOf(node(m.from)), b = nodes.indexOf(node(m.to));
      if (a < 0 || b < 0) continue;
      const end = m.deliverMs === null ? m.sentMs + 2 : m.deliverMs;
      if (end < W.t0) continue;
      const x0 = xOf(c, W, m.sentMs), x1 = xOf(c, W, end), y0 = 10 + (a + 0.5) * laneH, y1 = 10 + (b + 0.5) * laneH;
      g.strokeStyle = m.deliverMs === null ? '#d22' : '#3558'; g.beginPath(); g.moveTo(x0, y0); g.lineTo(x1, y1); g.stroke();
      arrows++;
    }
    g.restore();
    L.drawn.arrows = arrows;
  }

  function drawLegend() {
    const kinds = [...new Set(L.bands.map((b) => b.kind))];
    $('legend').innerHTML = kinds.map((k) => `<span style="background:${faultColors[k] || '#888'}55">${k}</span>`).join('');
  }

  function render() {
    if (L.follow) L.viewT = L.tEnd;
    seekState(L.viewT);
    const W = win();
    const sc = $('scrubber');
    sc.min = String(Math.floor(L.tMin)); sc.max = String(Math.ceil(L.tEnd)); sc.value = String(Math.round(L.viewT));
    $('clock').textContent = `${(L.viewT / 1000).toFixed(1)} s`;
    drawStrips(); drawLanes(W); drawClients(W); drawPlots(W); drawHeat(); drawLamport(W); drawLegend();
    L.renders++;
  }
  function frame() {
    if (L.dirty) {
      L.dirty = false;
      const walls = L.pendingWalls;
      L.pendingWalls = [];
      const r0 = performance.now();
      render();
      L.renderMs.push(performance.now() - r0);
      if (L.renderMs.length > 1000) L.renderMs.shift();
      if (walls.length > 0) {
        // at the next frame this one is painted: its items reached pixels
        requestAnimationFrame(() => {
          const now = performance.timeOrigin + performance.now();
          for (const w of walls) L.latencies.push(now - w);
          if (L.latencies.length > 100000) L.latencies.splice(0, L.latencies.length - 100000);
        });
      }
    }
    requestAnimationFrame(frame);
  }

  // ---- interaction ----
  function hitAt(canvas, ev) {
    const r = canvas.getBoundingClientRect(), x = ((ev.clientX - r.left) * canvas.width) / r.width, y = ((ev.clientY - r.top) * canvas.height) / r.height;
    let best = null, bestD = 8;
    for (const h of L.hits) {
      if (h.c !== canvas.id) continue;
      const dx = Math.max(h.x - x, 0, x - (h.x + h.w)), dy = Math.max(h.y - y, 0, y - (h.y + h.h)), d = dx + dy;
      if (d < bestD) { best = h; bestD = d; }
    }
    if (best) $('payload').textContent = JSON.stringify(best.item.e || best.item.op, null, 1);
  }
  $('lanes').addEventListener('click', (e) => hitAt($('lanes'), e));
  $('clients').addEventListener('click', (e) => hitAt($('clients'), e));
  $('scrubber').addEventListener('input', (e) => { L.follow = false; $('follow').checked = false; L.viewT = Number(e.target.value); L.dirty = true; });
  $('follow').addEventListener('change', (e) => { L.follow = e.target.checked; L.dirty = true; });
  $('win').addEventListener('change', (e) => { L.winMs = Number(e.target.value); L.dirty = true; });
  window.addEventListener('resize', () => (L.dirty = true));
  window.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    L.follow = false; $('follow').checked = false;
    L.viewT = Math.max(L.tMin, Math.min(L.tEnd, L.viewT + (e.key === 'ArrowLeft' ? -1 : 1) * (e.shiftKey ? 1000 : 100)));
    L.dirty = true;
  });

  const faultButtons = [
    ['kill leader', { fault: 'kill', target: 'leader' }], ['kill follower', { fault: 'kill', target: 'follower' }],
    ['restart all', { fault: 'restart', target: 'all' }],
    ['isolate leader', { fault: 'partition', shape: 'leader-isolated' }], ['partition minority', { fault: 'partition', shape: 'minority' }],
    ['ring partition', { fault: 'partition', shape: 'ring' }], ['cut leader→follower', { fault: 'cut', from: 'leader', to: 'follower' }],
    ['slow leader 200 ms', { fault: 'slow', target: 'leader', delayMs: 200 }], ['drop 20%', { fault: 'drop', ratio: 0.2 }],
    ['duplicate 10%', { fault: 'duplicate', ratio: 0.1 }], ['reorder 10%', { fault: 'reorder', ratio: 0.1 }],
    ['pause leader', { fault: 'pause', target: 'leader' }], ['resume all', { fault: 'resume', target: 'all' }],
    ['clock +500 ms', { fault: 'clock', target: 'follower', offsetMs: 500 }], ['disk stall 1 s', { fault: 'diskStall', target: 'leader', durationMs: 1000 }],
    ['slow disk 50 ms', { fault: 'diskSlow', target: 'leader', delayMs: 50 }], ['corrupt a record', { fault: 'corrupt', target: 'follower' }],
    ['heal', { fault: 'heal' }],
  ];
  /** "heal" ends every fault: the network healed, then each node shown down restarted. */
  async function heal() {
    await post('api/fault', { fault: 'heal' });
    for (const n of nodesOf()) if ((L.state.nodes[n] || {}).role === 'down') await post('api/fault', { fault: 'restart', target: n });
  }
  async function post(path, body) {
    L.posts.push({ body, at: performance.timeOrigin + performance.now() });
    if (L.posts.length > 1000) L.posts.shift();
    $('status').textContent = `${path.split('/').pop()} ${JSON.stringify(body)}…`;
    try {
      const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const j = await r.json();
      $('status').textContent = r.ok ? `done: ${JSON.stringify(body)}` : `refused: ${j.error}`;
    } catch (e) { $('status').textContent = `failed: ${e}`; }
  }

  function showMeta(meta) {
    L.meta = meta;
    if (meta.mode === 'recorded') { L.winMs = 0; $('win').value = '0'; }
    $('title').textContent = `${meta.title} · ${meta.runtime}`;
    const v = meta.verdict;
    if (v) {
      const el = $('verdict');
      el.dataset.verdict = v.verdict; el.textContent = `verdict: ${v.verdict}`;
      $('findings').innerHTML = (v.findings || []).map((f) => `<li>${f.replace(/</g, '&lt;')}</li>`).join('');
      L.violation = new Set(v.ops || []);
    }
    const fb = $('faultButtons');
    fb.innerHTML = '';
    if (meta.faults) {
      for (const [label, spec] of faultButtons) {
        const b = document.createElement('button');
        b.textContent = label; b.dataset.fault = JSON.stringify(spec);
        b.addEventListener('click', () => (spec.fault === 'heal' ? heal() : post('api/fault', spec)));
        fb.appendChild(b);
      }
    }
    $('scenarioBox').style.display = meta.faults && meta.scenarios.length ? '' : 'none';
    $('scenario').innerHTML = meta.scenarios.map((s) => `<option>${s}</option>`).join('');
    L.dirty = true;
  }
  $('runScenario').addEventListener('click', () => post('api/scenario', { name: $('scenario').value }));

  if (window.LAB_DATA) {
    showMeta(window.LAB_DATA.meta);
    L.follow = true;
    for (const it of window.LAB_DATA.items) ingest(it);
    $('conn').textContent = `report: ${L.received} items`;
  } else {
    fetch('api/meta').then((r) => r.json()).then(showMeta);
    const es = new EventSource('api/stream');
    es.onmessage = (m) => ingest(JSON.parse(m.data));
    es.addEventListener('gap', (m) => { L.notes.push(JSON.parse(m.data)); $('conn').textContent = `missed items ${m.data}`; });
    es.onopen = () => ($('conn').textContent = 'streaming');
    es.onerror = () => ($('conn').textContent = 'reconnecting…');
  }
  requestAnimationFrame(frame);
})();
