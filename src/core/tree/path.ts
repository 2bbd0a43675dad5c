/** ZooKeeper path rules (PathUtils.validatePath): absolute, no trailing '/', no empty, '.' or '..' component, no
 * control or reserved characters. Returns null when valid, else a reason. */
export function pathError(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'path must not be empty';
  if (path.charCodeAt(0) !== 47) return 'path must start with /';
  if (path.length === 1) return null;
  if (path.charCodeAt(path.length - 1) === 47) return 'path must not end with /';
  let compStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 47;
    if (c === 47) {
      const len = i - compStart;
      if (len === 0) return `empty node name at ${i}`;
      if (len === 1 && path.charCodeAt(compStart) === 46) return 'relative paths not allowed (.)';
      if (len === 2 && path.charCodeAt(compStart) === 46 && path.charCodeAt(compStart + 1) === 46) return 'relative paths not allowed (..)';
      compStart = i + 1;
      continue;
    }
    if (c === 0) return `null character at ${i}`;
    if ((c > 0 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff)) {
      return `invalid character at ${i}`;
    }
  }
  return null;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** Paths that exist in a fresh tree and that clients may not create or delete (DataTree.isSpecialPath). */
export const specialPaths: ReadonlySet<string> = new Set(['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']);

/** `%010d` of a signed 32-bit counter, as ZooKeeper formats sequential suffixes (negative after the wrap). */
export function sequenceSuffix(n: number): string {
  if (n < 0) return `-${String(-n).padStart(9, '0')}`;
  return String(n).padStart(10, '0');
}
