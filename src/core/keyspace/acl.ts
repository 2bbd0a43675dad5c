/**
 * Redis 7.0's ACL as replicated state: the users, their rules (ACL SETUSER's modifiers), the rule strings ACL LIST
 * and ACL GETUSER print, and the permission check of one command. Pure: passwords arrive already hashed (`#`/`!`,
 * SHA-256 as Redis stores them; a caller may pass a hasher for `>`/`<`), the command catalog is Redis's own
 * (acl-catalog.ts). The state lives beside a keyspace (`aclOf`) and changes only through the logged internal
 * commands `_aclsetuser` / `_acldeluser`; `_aclstate` reads it (as JSON) for the front ends. See ../../../docs/acl.md.
 *
 * Command permissions are a set of allowed full names (`get`, `config|get`) over the catalog, the reserved
 * "future commands" bit of `+@all`, the ALLCOMMANDS flag and the allowed first arguments (`+select|0`), changed as
 * Redis 7.0's ACLSetSelector changes its bitmap; the description is rebuilt from them as ACLDescribeSelectorCommandRules
 * does (best-fitting categories first, then single commands).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { aclCatalogRows, aclCategories } from './acl-catalog.js';

export { aclCategories };
import { array, bulkText, err, fromLatin1, latin1 } from './bytes.js';
import { globMatch } from './glob.js';
import { strHash } from '../hash.js';
import type { KeyspaceState } from './state.js';

/** Users one ACL state holds at most (SETUSER of a new user beyond it is refused). */
export const aclUsersMax = 10_000;
/** Patterns, channels, passwords or first arguments one user holds at most. */
export const aclUserItemsMax = 10_000;

// -------------------------------------------------------------------------------------------------------------------
// The catalog
// -------------------------------------------------------------------------------------------------------------------
export interface AclKeySpec {
  /** r: the key is read; w: written; 0: neither (any matching pattern will do); n: not a key. */
  readonly perm: 'r' | 'w' | 'rw' | '0' | 'n';
  /** The flags depend on the arguments (SET ... GET, BITFIELD ... GET). */
  readonly variable: boolean;
  readonly begin: { readonly index: number } | { readonly keyword: string; readonly startFrom: number } | null;
  readonly find: { readonly kind: 'range'; readonly lastKey: number; readonly step: number; readonly limit: number } | { readonly kind: 'keynum'; readonly keynumIdx: number; readonly firstKey: number; readonly step: number } | null;
}

export interface AclCommand {
  readonly name: string;
  readonly categories: ReadonlySet<string>;
  readonly keySpecs: readonly AclKeySpec[];
  readonly parent: string | null;
  readonly subcommands: readonly AclCommand[];
}

function parseKeySpec(s: string): AclKeySpec {
  const [p, b, f] = s.split(':') as [string, string, string];
  const variable = p.endsWith('+v');
  const perm = (variable ? p.slice(0, -2) : p) as AclKeySpec['perm'];
  let begin: AclKeySpec['begin'] = null;
  if (b.startsWith('i')) begin = { index: Number(b.slice(1)) };
  else if (b.startsWith('k')) {
    const [kw, from] = b.slice(1).split('/') as [string, string];
    begin = { keyword: kw, startFrom: Number(from) };
  }
  let find: AclKeySpec['find'] = null;
  const nums = f.slice(1).split('/').map(Number) as [number, number, number];
  if (f.startsWith('r')) find = { kind: 'range', lastKey: nums[0], step: nums[1], limit: nums[2] };
  else if (f.startsWith('n')) find = { kind: 'keynum', keynumIdx: nums[0], firstKey: nums[1], step: nums[2] };
  return { perm, variable, begin, find };
}

function buildCatalog(): { byName: Map<string, AclCommand>; top: AclCommand[]; all: AclCommand[] } {
  const byName = new Map<string, AclCommand>();
  const top: AclCommand[] = [];
  const all: AclCommand[] = [];
  for (const [name, cats, specs] of aclCatalogRows) {
    const bar = name.indexOf('|');
    const parent = bar < 0 ? null : name.slice(0, bar);
    const c: AclCommand = { name, categories: new Set(cats.split(' ').filter((x) => x !== '')), keySpecs: specs === '' ? [] : specs.split(' ').map(parseKeySpec), parent, subcommands: [] };
    byName.set(name, c);
    all.push(c);
    if (parent === null) top.push(c);
    else (byName.get(parent)!.subcommands as AclCommand[]).push(c);
  }
  return { byName, top, all };
}

/** Redis 7.0.15's commands: by full name, the top-level ones in order, and every one. */
export const aclCatalog = buildCatalog();
const categorySet: ReadonlySet<string> = new Set(aclCategories);

/** The commands (and subcommands) of a category, as ACL CAT lists them. */
export function aclCategoryCommands(category: string): string[] | null {
  if (!categorySet.has(category)) return null;
  return aclCatalog.all.filter((c) => c.categories.has(category)).map((c) => c.name);
}

// -------------------------------------------------------------------------------------------------------------------
// Users
// -------------------------------------------------------------------------------------------------------------------
export interface AclKeyPattern {
  readonly pattern: string;
  read: boolean;
  write: boolean;
}

export interface AclUser {
  readonly name: string;
  enabled: boolean;
  nopass: boolean;
  sanitize: '' | 'sanitize-payload' | 'skip-sanitize-payload';
  /** SHA-256 hex digests, in the order added. */
  passwords: string[];
  allKeys: boolean;
  keys: AclKeyPattern[];
  allChannels: boolean;
  channels: string[];
  /** The reserved bit of `+@all`: commands unknown to the catalog are allowed; the description starts `+@all`. */
  future: boolean;
  /** Every command allowed (cleared by removing any). */
  allCommands: boolean;
  /** Allowed full names (`get`, `config|get`). */
  allowed: Set<string>;
  /** Command → first arguments allowed while the command itself is not (`+select|0`). */
  firstArgs: Map<string, string[]>;
}

function newUser(name: string): AclUser {
  return { name, enabled: false, nopass: false, sanitize: '', passwords: [], allKeys: false, keys: [], allChannels: false, channels: [], future: false, allCommands: false, allowed: new Set(), firstArgs: new Map() };
}

function cloneUser(u: AclUser): AclUser {
  return { ...u, passwords: [...u.passwords], keys: u.keys.map((k) => ({ ...k })), channels: [...u.channels], allowed: new Set(u.allowed), firstArgs: new Map([...u.firstArgs].map(([k, v]) => [k, [...v]])) };
}

function defaultUser(): AclUser {
  const u = newUser('default');
  for (const op of ['on', 'nopass', '~*', '&*', '+@all']) applyRule(u, op);
  return u;
}

// Command bits, as Redis's ACLChangeSelectorPerm / ACLSetSelectorCommandBitsForCategory change them.
function setBit(bits: Set<string>, name: string, allow: boolean): void {
  if (allow) bits.add(name);
  else bits.delete(name);
}

function changePerm(bits: Set<string>, cmd: AclCommand, allow: boolean, firstArgs?: Map<string, string[]>): void {
  setBit(bits, cmd.name, allow);
  firstArgs?.delete(cmd.name);
  for (const s of cmd.subcommands) setBit(bits, s.name, allow);
}

function changeCategory(bits: Set<string>, category: string, allow: boolean, firstArgs?: Map<string, string[]>): void {
  for (const c of aclCatalog.top) {
    if (c.categories.has(category)) changePerm(bits, c, allow, firstArgs);
    for (const s of c.subcommands) if (s.categories.has(category)) changePerm(bits, s, allow, firstArgs);
  }
}

function allBits(): Set<string> {
  return new Set(aclCatalog.all.map((c) => c.name));
}

const hexHash = /^[0-9a-f]{64}$/;

/** Why a modifier was refused (Redis's texts). */
const ruleErrors = {
  syntax: 'Syntax error',
  unknown: 'Unknown command or category name in ACL',
  keysAfterAll: "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  channelsAfterAll: "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  noPassword: 'The password you are trying to remove from the user does not exist',
  badHash: 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  subFirstArg: 'Allowing first-arg of a subcommand is not supported',
  selectors: 'Selectors are not supported by conclave',
  tooMany: `More than ${aclUserItemsMax} items in one user`,
} as const;

/**
 * Applies one modifier to `u` in place; returns the reason it is refused (the user may then be half changed: apply
 * to a copy). `hash` turns a `>`/`<` cleartext into its SHA-256 hex; without it they are refused.
 */
export function applyRule(u: AclUser, op: string, hash?: (clear: string) => string): string | undefined {
  const lower = op.toLowerCase();
  switch (lower) {
    case '':
      return undefined;
    case 'on':
      u.enabled = true;
      return undefined;
    case 'off':
      u.enabled = false;
      return undefined;
    case 'skip-sanitize-payload':
    case 'sanitize-payload':
      u.sanitize = lower;
      return undefined;
    case 'nopass':
      u.nopass = true;
      u.passwords = [];
      return undefined;
    case 'resetpass':
      u.nopass = false;
      u.passwords = [];
      return undefined;
    case 'allkeys':
      return applyRule(u, '~*');
    case 'resetkeys':
      u.allKeys = false;
      u.keys = [];
      return undefined;
    case 'allchannels':
      return applyRule(u, '&*');
    case 'resetchannels':
      u.allChannels = false;
      u.channels = [];
      return undefined;
    case 'allcommands':
    case '+@all':
      u.future = true;
      u.allCommands = true;
      u.allowed = allBits();
      u.firstArgs.clear();
      return undefined;
    case 'nocommands':
    case '-@all':
      u.future = false;
      u.allCommands = false;
      u.allowed.clear();
      u.firstArgs.clear();
      return undefined;
    case 'clearselectors':
      return undefined;
    case 'reset':
      for (const r of ['resetpass', 'resetkeys', 'resetchannels', 'off', 'sanitize-payload', '-@all']) applyRule(u, r);
      return undefined;
  }
  const c = op[0];
  const rest = op.slice(1);
  if (c === '>' || c === '#') {
    const h = c === '#' ? rest : hash?.(rest);
    if (h === undefined) return ruleErrors.syntax;
    if (c === '#' && !hexHash.test(h)) return ruleErrors.badHash;
    if (!u.passwords.includes(h)) {
      if (u.passwords.length >= aclUserItemsMax) return ruleErrors.tooMany;
      u.passwords.push(h);
    }
    u.nopass = false;
    return undefined;
  }
  if (c === '<' || c === '!') {
    const h = c === '!' ? rest : hash?.(rest);
    if (h === undefined) return ruleErrors.syntax;
    if (c === '!' && !hexHash.test(h)) return ruleErrors.badHash;
    const i = u.passwords.indexOf(h);
    if (i < 0) return ruleErrors.noPassword;
    u.passwords.splice(i, 1);
    return undefined;
  }
  if (c === '~' || c === '%') return keyRule(u, op);
  if (c === '&') {
    if (u.allChannels) return ruleErrors.channelsAfterAll;
    if (rest === '*') {
      u.allChannels = true;
      u.channels = [];
    } else if (!u.channels.includes(rest)) {
      if (u.channels.length >= aclUserItemsMax) return ruleErrors.tooMany;
      u.channels.push(rest);
    }
    return undefined;
  }
  if (c === '(') return ruleErrors.selectors;
  if ((c === '+' || c === '-') && op[1] === '@') {
    const cat = lower.slice(2);
    if (!categorySet.has(cat)) return ruleErrors.unknown;
    changeCategory(u.allowed, cat, c === '+', u.firstArgs);
    if (c === '-') u.allCommands = false;
    return undefined;
  }
  if (c === '+' || c === '-') return commandRule(u, c === '+', lower.slice(1), rest);
  return ruleErrors.syntax;
}

function keyRule(u: AclUser, op: string): string | undefined {
  if (u.allKeys) return ruleErrors.keysAfterAll;
  let read = true;
  let write = true;
  let offset = 1;
  if (op[0] === '%') {
    read = false;
    write = false;
    for (; offset < op.length; offset++) {
      const ch = op[offset]!.toUpperCase();
      if (ch === 'R' && !read) read = true;
      else if (ch === 'W' && !write) write = true;
      else if (ch === '~') {
        offset++;
        break;
      } else return ruleErrors.syntax;
    }
    if (!read && !write) return ruleErrors.syntax;
  }
  const pattern = op.slice(offset);
  if (pattern === '*' && read && write) {
    u.allKeys = true;
    u.keys = [];
    return undefined;
  }
  const same = u.keys.find((k) => k.pattern === pattern);
  if (same !== undefined) {
    same.read ||= read;
    same.write ||= write;
  } else {
    if (u.keys.length >= aclUserItemsMax) return ruleErrors.tooMany;
    u.keys.push({ pattern, read, write });
  }
  return undefined;
}

function commandRule(u: AclUser, allow: boolean, name: string, typed: string): string | undefined {
  const bar = name.lastIndexOf('|');
  if (!allow || bar < 0) {
    const cmd = aclCatalog.byName.get(name);
    if (cmd === undefined || (bar < 0 && cmd.parent !== null)) return ruleErrors.unknown;
    changePerm(u.allowed, cmd, allow, u.firstArgs);
    if (!allow) u.allCommands = false;
    return undefined;
  }
  const cmd = aclCatalog.byName.get(name.slice(0, bar));
  if (cmd === undefined) return ruleErrors.unknown;
  if (cmd.parent !== null) return ruleErrors.subFirstArg;
  if (bar === name.length - 1) return ruleErrors.syntax;
  if (cmd.subcommands.length > 0) {
    const sub = aclCatalog.byName.get(name);
    if (sub === undefined) return ruleErrors.unknown;
    changePerm(u.allowed, sub, true, u.firstArgs);
    return undefined;
  }
  const arg = typed.slice(bar + 1);
  const args = u.firstArgs.get(cmd.name) ?? [];
  if (!args.some((a) => a.toLowerCase() === arg.toLowerCase())) {
    if (args.length >= aclUserItemsMax) return ruleErrors.tooMany;
    args.push(arg);
  }
  u.firstArgs.set(cmd.name, args);
  return undefined;
}

// -------------------------------------------------------------------------------------------------------------------
// Descriptions (ACL LIST, ACL GETUSER)
// -------------------------------------------------------------------------------------------------------------------
/** The command rules as Redis 7.0 describes them: `+@all`/`-@all`, best-fitting categories, then single commands. */
export function describeCommands(u: AclUser): string {
  const additive = !u.future;
  const rules: string[] = [additive ? '-@all' : '+@all'];
  const fake = additive ? new Set<string>() : allBits();
  const temp = new Set(u.allowed);
  const applied = new Set<string>();
  for (;;) {
    let best: string | null = null;
    let minDiff = Number.MAX_SAFE_INTEGER;
    let maxSame = 0;
    for (const cat of aclCategories) {
      if (applied.has(cat)) continue;
      let on = 0;
      let off = 0;
      for (const c of aclCatalog.all) if (c.categories.has(cat)) temp.has(c.name) ? on++ : off++;
      const diff = additive ? off : on;
      const same = additive ? on : off;
      if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
        best = cat;
        minDiff = diff;
        maxSame = same;
      }
    }
    if (best === null) break;
    changeCategory(fake, best, additive);
    changeCategory(temp, best, !additive);
    rules.push(`${additive ? '+' : '-'}@${best}`);
    applied.add(best);
  }
  const singles = (cmds: readonly AclCommand[]): void => {
    for (const cmd of cmds) {
      const userBit = u.allowed.has(cmd.name);
      if (userBit !== fake.has(cmd.name)) {
        rules.push(`${userBit ? '+' : '-'}${cmd.name}`);
        changePerm(fake, cmd, userBit);
      }
      singles(cmd.subcommands);
      if (!userBit) for (const a of u.firstArgs.get(cmd.name) ?? []) rules.push(`+${cmd.name}|${a}`);
    }
  };
  singles(aclCatalog.top);
  return rules.join(' ');
}

const keyPatternText = (k: AclKeyPattern): string => `${k.read && k.write ? '' : k.read ? '%R' : '%W'}~${k.pattern}`;

export function userFlags(u: AclUser): string[] {
  const flags = [u.enabled ? 'on' : 'off'];
  if (u.nopass) flags.push('nopass');
  if (u.sanitize !== '') flags.push(u.sanitize);
  return flags;
}

/** One ACL LIST line. */
export function describeUser(u: AclUser): string {
  const parts = [`user ${u.name}`, ...userFlags(u), ...u.passwords.map((h) => `#${h}`)];
  if (u.allKeys) parts.push('~*');
  else parts.push(...u.keys.map(keyPatternText));
  if (u.allChannels) parts.push('&*');
  else parts.push('resetchannels', ...u.channels.map((c) => `&${c}`));
  parts.push(describeCommands(u));
  return parts.join(' ');
}

/** ACL GETUSER's reply (a map; RESP2 shows it as a flat array). */
export function getUserReply(u: AclUser): Reply {
  const b = (s: string): Reply => ({ kind: 'Bulk', bytes: fromLatin1(s) });
  return {
    kind: 'Map',
    entries: [
      [bulkText('flags'), { kind: 'Set', items: userFlags(u).map(bulkText) }],
      [bulkText('passwords'), array(u.passwords.map(bulkText))],
      [bulkText('commands'), b(describeCommands(u))],
      [bulkText('keys'), b(u.allKeys ? '~*' : u.keys.map(keyPatternText).join(' '))],
      [bulkText('channels'), b(u.allChannels ? '&*' : u.channels.map((c) => `&${c}`).join(' '))],
      [bulkText('selectors'), array([])],
    ],
  };
}

// -------------------------------------------------------------------------------------------------------------------
// Permission checks
// -------------------------------------------------------------------------------------------------------------------
export type AclDenied = { readonly reason: 'command' } | { readonly reason: 'key' | 'channel'; readonly index: number };

/** Argument indexes of a command's keys with the permissions each needs, as Redis's key specs find them. */
export function aclKeys(cmd: AclCommand, argv: Argv): { index: number; read: boolean; write: boolean }[] {
  const out: { index: number; read: boolean; write: boolean }[] = [];
  const argc = argv.length;
  for (const ks of cmd.keySpecs) {
    if (ks.perm === 'n' || ks.begin === null || ks.find === null) continue;
    let start: number;
    if ('index' in ks.begin) start = ks.begin.index;
    else {
      const kw = ks.begin.keyword.toLowerCase();
      const from = ks.begin.startFrom;
      const first = from >= 0 ? from : argc + from;
      const step = from >= 0 ? 1 : -1;
      start = -1;
      for (let i = first; i > 0 && i < argc; i += step)
        if (latin1(argv[i]!).toLowerCase() === kw) {
          start = i + 1;
          break;
        }
      if (start < 0) continue;
    }
    let last: number;
    let step: number;
    if (ks.find.kind === 'range') {
      step = ks.find.step;
      if (ks.find.lastKey >= 0) last = start + ks.find.lastKey;
      else if (ks.find.limit <= 1) last = argc + ks.find.lastKey;
      else last = start + Math.floor((argc - start) / ks.find.limit) - 1;
    } else {
      const n = Number(latin1(argv[start + ks.find.keynumIdx] ?? new Uint8Array()));
      if (!Number.isInteger(n) || n <= 0) continue;
      start = start + ks.find.firstKey;
      step = ks.find.step;
      last = start + (n - 1) * step;
    }
    let read = ks.perm.includes('r');
    let write = ks.perm.includes('w');
    if (ks.variable) {
      // SET without GET only overwrites; BITFIELD with GET alone only reads
      const words = argv.slice(2).map((a) => latin1(a).toLowerCase());
      if (cmd.name === 'set' && !words.includes('get')) read = false;
      if (cmd.name === 'bitfield' && !words.some((w) => w === 'set' || w === 'incrby')) write = false;
    }
    for (let i = start; i <= last && i < argc; i += Math.max(1, step)) out.push({ index: i, read, write });
  }
  return out;
}

/** The channels a command names (pub/sub), with whether each is a pattern (PSUBSCRIBE). */
function aclChannels(name: string, argv: Argv): { index: number; pattern: boolean }[] {
  switch (name) {
    case 'publish':
    case 'spublish':
      return argv.length > 1 ? [{ index: 1, pattern: false }] : [];
    case 'subscribe':
    case 'ssubscribe':
    case 'psubscribe':
      return argv.slice(1).map((_, i) => ({ index: i + 1, pattern: name === 'psubscribe' }));
    default:
      return [];
  }
}

/**
 * Whether `u` may run the command `name` (full name, as the catalog spells it) with `argv`: null, or what is
 * denied (Redis's ACLCheckAllUserCommandPerm: the command, then its keys, then its channels).
 */
export function aclCheck(u: AclUser, name: string, argv: Argv, noAuth: boolean): AclDenied | null {
  const cmd = aclCatalog.byName.get(name);
  if (!u.allCommands && !noAuth) {
    const known = cmd !== undefined;
    if (known ? !u.allowed.has(name) : !u.future) {
      const args = u.firstArgs.get(name);
      const at = cmd?.parent ? 2 : 1;
      const arg = argv[at] === undefined ? undefined : latin1(argv[at]!).toLowerCase();
      if (args === undefined || arg === undefined || !args.some((a) => a.toLowerCase() === arg)) return { reason: 'command' };
    }
  }
  if (cmd === undefined) return null;
  if (!u.allKeys) {
    for (const k of aclKeys(cmd, argv)) {
      const key = argv[k.index]!;
      const ok = u.keys.some((p) => (!k.read || p.read) && (!k.write || p.write) && globMatch(fromLatin1(p.pattern), key));
      if (!ok) return { reason: 'key', index: k.index };
    }
  }
  if (!u.allChannels) {
    for (const ch of aclChannels(name, argv)) {
      const channel = argv[ch.index]!;
      const s = latin1(channel);
      const ok = u.channels.some((p) => (ch.pattern ? p === s : globMatch(fromLatin1(p), channel)));
      if (!ok) return { reason: 'channel', index: ch.index };
    }
  }
  return null;
}

// -------------------------------------------------------------------------------------------------------------------
// The replicated state
// -------------------------------------------------------------------------------------------------------------------
export class AclUsers {
  readonly users = new Map<string, AclUser>([['default', defaultUser()]]);
  /** Changes applied so far (0: as created; the front ends' caches compare it). */
  version = 0;
  /** The default user was set by SETUSER (until then a node's start-up `requirepass` is its password). */
  defaultSet = false;

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** Names in byte order (ACL USERS, ACL LIST). */
  names(): string[] {
    return [...this.users.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * ACL SETUSER: every modifier applied to a copy, which replaces the user only if all were accepted. Returns the
   * error line, or undefined.
   */
  setUser(name: string, ops: readonly string[], hash?: (clear: string) => string): string | undefined {
    if (/[\s\0]/.test(name)) return "ERR Usernames can't contain spaces or null characters";
    const old = this.users.get(name);
    if (old === undefined && this.users.size >= aclUsersMax) return `ERR more than ${aclUsersMax} ACL users`;
    const u = old === undefined ? newUser(name) : cloneUser(old);
    for (const op of ops) {
      const why = applyRule(u, op, hash);
      if (why !== undefined) return `ERR Error in ACL SETUSER modifier '${op}': ${why}`;
    }
    this.users.set(name, u);
    this.version++;
    if (name === 'default') this.defaultSet = true;
    return undefined;
  }

  /** ACL DELUSER: how many of the names were users (`default` cannot be removed: the error line). */
  delUsers(names: readonly string[]): number | string {
    if (names.includes('default')) return "ERR The 'default' user cannot be removed";
    let n = 0;
    for (const name of names) if (this.users.delete(name)) n++;
    if (n > 0) this.version++;
    return n;
  }

  /** The state as JSON (snapshots, the front ends' copies). */
  encode(): string {
    const users = [...this.users.values()].map((u) => [u.name, u.enabled, u.nopass, u.sanitize, u.passwords, u.allKeys, u.keys.map((k) => [k.pattern, k.read, k.write]), u.allChannels, u.channels, u.future, u.allCommands, [...u.allowed], [...u.firstArgs]]);
    return JSON.stringify({ version: this.version, defaultSet: this.defaultSet, users });
  }

  static decode(json: string): AclUsers {
    const o = JSON.parse(json) as { version: number; defaultSet: boolean; users: unknown[][] };
    const a = new AclUsers();
    a.users.clear();
    for (const r of o.users) {
      const [name, enabled, nopass, sanitize, passwords, allKeys, keys, allChannels, channels, future, allCommands, allowed, firstArgs] = r as [string, boolean, boolean, AclUser['sanitize'], string[], boolean, [string, boolean, boolean][], boolean, string[], boolean, boolean, string[], [string, string[]][]];
      a.users.set(name, { name, enabled, nopass, sanitize, passwords, allKeys, keys: keys.map(([pattern, read, write]) => ({ pattern, read, write })), allChannels, channels, future, allCommands, allowed: new Set(allowed), firstArgs: new Map(firstArgs) });
    }
    if (!a.users.has('default')) throw new Error('ACL state without the default user');
    a.version = o.version;
    a.defaultSet = o.defaultSet;
    return a;
  }

  private digested: { readonly version: number; readonly digest: number } | null = null;

  /** A hash of the encoded state (kept until the next change). */
  digest(): number {
    if (this.digested?.version !== this.version) this.digested = { version: this.version, digest: strHash(this.encode(), 0x61636c) };
    return this.digested.digest;
  }
}

// -------------------------------------------------------------------------------------------------------------------
// The keyspace's internal commands
// -------------------------------------------------------------------------------------------------------------------
const states = new WeakMap<KeyspaceState, AclUsers>();

/** The ACL state kept beside a keyspace. */
export function aclOf(ks: KeyspaceState): AclUsers {
  let a = states.get(ks);
  if (a === undefined) states.set(ks, (a = new AclUsers()));
  return a;
}

/** Replaces the ACL state kept beside a keyspace (snapshot restore). */
export function setAclOf(ks: KeyspaceState, acl: AclUsers): void {
  states.set(ks, acl);
}

const stateReply = (a: AclUsers): Reply => ({ kind: 'Bulk', bytes: fromLatin1(a.encode()) });

/** `_aclsetuser name op...` (passwords already hashed): the new state (JSON) or the error. */
export function aclSetUserReply(acl: AclUsers, a: Argv): Reply {
  const why = acl.setUser(latin1(a[1]!), a.slice(2).map(latin1));
  return why === undefined ? stateReply(acl) : err(why);
}

/** `_acldeluser name...`: `[count, state]` or the error. */
export function aclDelUserReply(acl: AclUsers, a: Argv): Reply {
  const n = acl.delUsers(a.slice(1).map(latin1));
  return typeof n === 'string' ? err(n) : array([{ kind: 'Int', value: n }, stateReply(acl)]);
}

/** `_aclstate [version]`: the state (JSON), or Null when it is still at `version`. */
export function aclStateReply(acl: AclUsers, a: Argv): Reply {
  if (a.length > 1 && Number(latin1(a[1]!)) === acl.version) return { kind: 'Null' };
  return stateReply(acl);
}
