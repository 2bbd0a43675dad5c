/**
 * ZooKeeper's Java system properties for `conclave node`, so that a command line written for
 * `java ... QuorumPeerMain zoo.cfg` (or zkServer.sh with SERVER_JVMFLAGS / JVMFLAGS) switches over unchanged:
 * `-Dname=value` words from SERVER_JVMFLAGS, then JVMFLAGS, then the `-D` arguments before the zoo.cfg path, the
 * last one of a name winning as on a java command line. A key in zoo.cfg wins over its property (ZooKeeper sets the
 * file's keys as properties after the JVM started). Unknown properties are ignored with one warning line.
 */
import { checkSuperDigest, fourLetterWordsOf, ZooCfgError, type ZooCfg } from './zoocfg.js';

/** zoocfg.ts's `superDigestProperty` (spelt out: the two modules import each other). */
const superDigestProperty = 'zookeeper.DigestAuthenticationProvider.superDigest';

/** The properties read here; `zookeeper.authProvider.<N>` is matched by its prefix. */
export const jvmPropertiesKnown: readonly string[] = [
  'readonlymode.enabled',
  'java.security.auth.login.config',
  'zookeeper.authProvider.N',
  superDigestProperty,
  'zookeeper.skipACL',
  'zookeeper.extendedTypesEnabled',
  'zookeeper.4lw.commands.whitelist',
  'jute.maxbuffer',
  'zookeeper.maxCnxns',
];
const authProviderPrefix = 'zookeeper.authProvider.';

/** `-D` properties at most (a real command line has a handful). */
export const jvmPropertiesMax = 1_000;

/**
 * The settings these properties carry. Wired today: superDigest, the 4lw whitelist (into ZooCfg's own fields),
 * jute.maxbuffer (the client port's largest frame), extendedTypesEnabled (TTL nodes, in every replica's prepare: set
 * it alike on every member, as with ZooKeeper), the JAAS file and authProvider.N (SASL, src/servers/zookeeper/sasl.ts);
 * the rest are parsed and kept for features not built yet (read-only mode, skipACL, maxCnxns).
 */
export interface JvmSettings {
  readonly readOnlyModeEnabled?: boolean;
  readonly jaasConfigPath?: string;
  /** `zookeeper.authProvider.N` → provider class, by N. */
  readonly authProviders?: Readonly<Record<string, string>>;
  readonly skipAcl?: boolean;
  readonly extendedTypesEnabled?: boolean;
  readonly juteMaxBufferBytes?: number;
  readonly maxCnxns?: number;
}

/** `-Dname=value` words of a JVM flags string and of argument lists, in order (quotes around a value removed). */
export function jvmPropertiesOf(flags: string, args: readonly string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const put = (name: string, raw: string): void => {
    if (out.size >= jvmPropertiesMax && !out.has(name)) throw new ZooCfgError(`more than ${jvmPropertiesMax} -D properties`);
    out.delete(name); // the last one wins, and keeps its place at the end
    out.set(name, /^(["']).*\1$/s.test(raw) ? raw.slice(1, -1) : raw);
  };
  const re = /(?:^|\s)-D([^\s=]+)=("[^"]*"|'[^']*'|\S*)/g;
  for (let m = re.exec(flags); m !== null; m = re.exec(flags)) put(m[1]!, m[2]!);
  for (const a of args) {
    const m = /^-D([^\s=]+)=(.*)$/s.exec(a);
    if (m === null) throw new ZooCfgError(`'${a}': expected -Dname=value before the zoo.cfg path`);
    put(m[1]!, m[2]!);
  }
  return out;
}

/** Java's Boolean.parseBoolean (anything but "true", case-insensitively, is false) — except skipACL's "yes". */
const javaBoolean = (v: string): boolean => v.toLowerCase() === 'true';

function intProperty(name: string, v: string, min: number): number {
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v)) || Number(v) < min) throw new ZooCfgError(`-D${name}: expected an integer ≥ ${min}, got '${v}'`);
  return Number(v);
}

/**
 * Applies the properties to a parsed zoo.cfg (a key in the file wins); `warn` gets one line naming the properties
 * that are ignored, if any.
 */
export function applyJvmProperties(cfg: ZooCfg, props: ReadonlyMap<string, string>, fileKeys: ReadonlySet<string>, warn: (line: string) => void): ZooCfg {
  const jvm: { -readonly [K in keyof JvmSettings]: JvmSettings[K] } = {};
  const providers: Record<string, string> = {};
  const unknown: string[] = [];
  let out = cfg;
  for (const [name, v] of props) {
    if (name.startsWith(authProviderPrefix) && name.length > authProviderPrefix.length) {
      providers[name.slice(authProviderPrefix.length)] = v;
      continue;
    }
    switch (name) {
      case 'readonlymode.enabled':
        jvm.readOnlyModeEnabled = javaBoolean(v);
        break;
      case 'java.security.auth.login.config':
        jvm.jaasConfigPath = v;
        break;
      case superDigestProperty:
        if (out.superDigest === undefined) out = { ...out, superDigest: checkSuperDigest(v, `-D${name}`) };
        break;
      case 'zookeeper.skipACL':
        // ZooKeeper: skipACL is on exactly when the value is "yes"
        jvm.skipAcl = v === 'yes';
        break;
      case 'zookeeper.extendedTypesEnabled':
        jvm.extendedTypesEnabled = javaBoolean(v);
        break;
      case 'zookeeper.4lw.commands.whitelist':
        if (!fileKeys.has('4lw.commands.whitelist')) out = { ...out, fourLetterWords: fourLetterWordsOf(v, `-D${name}`) };
        break;
      case 'jute.maxbuffer':
        jvm.juteMaxBufferBytes = intProperty(name, v, 1);
        break;
      case 'zookeeper.maxCnxns':
        jvm.maxCnxns = intProperty(name, v, 0);
        break;
      default:
        unknown.push(name);
    }
  }
  if (Object.keys(providers).length > 0) jvm.authProviders = providers;
  if (unknown.length > 0) warn(`ignoring Java system properties conclave does not read: ${unknown.map((n) => `-D${n}`).join(' ')}`);
  return Object.keys(jvm).length === 0 ? out : { ...out, jvm };
}
