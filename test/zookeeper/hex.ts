/** Test helper: bytes from a spec-style hex dump, where `"…"` are UTF-8 text and `00*16` repeats a byte. */
export function hex(dump: string): Uint8Array {
  const out: number[] = [];
  const re = /"([^"]*)"|([0-9a-fA-F]{2})\*(\d+)|([0-9a-fA-F]+)/g;
  for (let m = re.exec(dump); m !== null; m = re.exec(dump)) {
    if (m[1] !== undefined) out.push(...Buffer.from(m[1], 'utf8'));
    else if (m[2] !== undefined) for (let i = 0; i < Number(m[3]); i++) out.push(parseInt(m[2], 16));
    else {
      const h = m[4]!;
      if (h.length % 2 !== 0) throw new Error(`odd hex group ${h}`);
      for (let i = 0; i < h.length; i += 2) out.push(parseInt(h.slice(i, i + 2), 16));
    }
  }
  return Uint8Array.from(out);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
