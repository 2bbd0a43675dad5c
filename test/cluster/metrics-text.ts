/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4) for the metrics tests: `name{labels}
 * value` lines, `#` comments; a malformed line throws with its number. Timestamps are not used by conclave.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}
export type Samples = readonly Sample[];

const lineRe = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '' || line.startsWith('#')) continue;
    const m = lineRe.exec(line);
    if (m === null) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[3] ?? '';
    labelRe.lastIndex = 0;
    while (labelRe.lastIndex < body.length) {
      const l = labelRe.exec(body);
      if (l === null) throw new Error(`line ${i + 1}: bad labels: ${body}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const v = m[4]!;
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    if (Number.isNaN(value) && v !== 'NaN') throw new Error(`line ${i + 1}: bad value: ${v}`);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** GET /metrics on a local port, parsed. */
export async function scrape(port: number, path = '/metrics'): Promise<Sample[]> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
  if (!(r.headers.get('content-type') ?? '').startsWith('text/plain')) throw new Error(`${path}: content-type ${r.headers.get('content-type')}`);
  return parsePrometheusText(await r.text());
}
