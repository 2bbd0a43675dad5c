/**
 * SASL on the client port, as ZooKeeper 3.8 has it with DIGEST-MD5 (RFC 2831, `auth` quality of protection only):
 *
 * - Users come from the JAAS file named by `java.security.auth.login.config`, section `Server`:
 *   `org.apache.zookeeper.server.auth.DigestLoginModule required user_NAME="password";`. A file that cannot be read
 *   or parsed stops the start; a file without a `Server` section leaves SASL off, as ZooKeeper does.
 * - The SASL request (opcode 102, GetSASLRequest{buffer token}) is answered out of the request order, like
 *   addauth, with ReplyHeader zxid 0: the client's first token is empty and gets the challenge (realm
 *   `zk-sasl-md5`, a fresh 40-character nonce, charset=utf-8, algorithm=md5-sess; no qop: "auth" is the default
 *   and the only one offered); its digest-response (digest-uri `zookeeper/zk-sasl-md5`) is checked against the
 *   user's password and answered with `rspauth=`; the session then holds the `sasl` id of the user. A failed
 *   exchange is answered AUTHFAILED with a null token and the connection closes.
 * - The `sasl` ACL scheme is valid only with `authProvider.N=org.apache.zookeeper.server.auth.SASLAuthenticationProvider`
 *   (zoo.cfg or `-Dzookeeper.authProvider.N`); the exchange itself needs only the JAAS section, as in ZooKeeper.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { saslProviderClass, ZooCfgError } from '../../config/zoocfg.js';

/** The login module whose `user_NAME` options are DIGEST-MD5's users. */
export const digestLoginModule = 'org.apache.zookeeper.server.auth.DigestLoginModule';
/** ZooKeeper's JAAS section for the server (its `zookeeper.sasl.serverconfig` default). */
export const jaasServerSection = 'Server';
/** ZooKeeper creates its SASL server for protocol `zookeeper` on the fixed server name `zk-sasl-md5`. */
export const saslRealm = 'zk-sasl-md5';
export const saslDigestUri = `zookeeper/${saslRealm}`;

/** A JAAS file larger than this is refused. */
export const jaasFileBytesMax = 1024 * 1024;
/** Tokens in one JAAS file, at most. */
export const jaasTokensMax = 100_000;
/** Directives in one digest-response, at most (RFC 2831 defines 13). */
export const digestDirectivesMax = 32;
/** A DIGEST-MD5 response token is at most 4096 bytes (RFC 2831 §2.1.2). */
export const digestResponseBytesMax = 4096;
/** Random bytes in a nonce (base64 in the challenge). */
const nonceBytes = 30;

/** A configuration error (`conclave node` reports it as it does zoo.cfg's). */
export class JaasError extends ZooCfgError {}

export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

/**
 * A JAAS login configuration (Java's ConfigFile syntax): `Name { module flag key=value ...; ... };`, with `//`, `#`
 * and `/* *\/` comments and double- or single-quoted values.
 */
export function parseJaas(text: string): ReadonlyMap<string, readonly JaasEntry[]> {
  const tokens: string[] = [];
  const re = /\s+|\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};=])|([^\s{};="']+)/gy;
  const quoted = new Set<number>();
  for (let at = 0; at < text.length; at = re.lastIndex) {
    if (tokens.length >= jaasTokensMax) throw new JaasError(`more than ${jaasTokensMax} tokens`);
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new JaasError(`unexpected text at offset ${at}`);
    if (m[1] !== undefined || m[2] !== undefined) {
      quoted.add(tokens.length);
      tokens.push((m[1] ?? m[2]!).replace(/\\(.)/g, '$1'));
    } else if (m[3] !== undefined || m[4] !== undefined) tokens.push(m[3] ?? m[4]!);
  }
  const sections = new Map<string, JaasEntry[]>();
  let i = 0;
  const word = (what: string): string => {
    const t = tokens[i++];
    if (t === undefined || (!quoted.has(i - 1) && /^[{};=]$/.test(t))) throw new JaasError(`expected ${what}, got ${t === undefined ? 'the end' : `'${t}'`}`);
    return t;
  };
  const expect = (t: string): void => {
    const got = tokens[i++];
    if (got !== t || quoted.has(i - 1)) throw new JaasError(`expected '${t}', got ${got === undefined ? 'the end' : `'${got}'`}`);
  };
  while (i < tokens.length) {
    const name = word('a section name');
    expect('{');
    const entries: JaasEntry[] = [];
    while (tokens[i] !== '}' || quoted.has(i)) {
      const loginModule = word('a login module class');
      const flag = word('a control flag');
      if (!/^(required|requisite|sufficient|optional)$/i.test(flag)) throw new JaasError(`${loginModule}: bad control flag '${flag}'`);
      const options = new Map<string, string>();
      while (tokens[i] !== ';' || quoted.has(i)) {
        const key = word('an option name');
        expect('=');
        options.set(key, word(`a value for ${key}`));
      }
      expect(';');
      entries.push({ loginModule, flag, options });
    }
    expect('}');
    expect(';');
    sections.set(name, [...(sections.get(name) ?? []), ...entries]);
  }
  return sections;
}

/** DIGEST-MD5 users (name → password) of a JAAS section, or undefined when the file has no such section. */
export function saslUsersOf(sections: ReadonlyMap<string, readonly JaasEntry[]>, section = jaasServerSection): ReadonlyMap<string, string> | undefined {
  const entries = sections.get(section);
  if (entries === undefined) return undefined;
  const users = new Map<string, string>();
  for (const e of entries) {
    if (e.loginModule !== digestLoginModule) continue;
    for (const [k, v] of e.options) if (k.startsWith('user_')) users.set(k.slice('user_'.length), v);
  }
  return users;
}

/** Reads the JAAS file of `java.security.auth.login.config`: its `Server` section's users (undefined: no section). */
export function loadSaslUsers(path: string): ReadonlyMap<string, string> | undefined {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > jaasFileBytesMax) throw new JaasError(`larger than ${jaasFileBytesMax} bytes`);
    text = buf.toString('utf8');
  } catch (e) {
    throw new JaasError(`${path}: cannot read the JAAS configuration: ${(e as Error).message}`);
  }
  try {
    return saslUsersOf(parseJaas(text));
  } catch (e) {
    throw new JaasError(`${path}: ${(e as Error).message}`);
  }
}

/** Whether a set of `authProvider.N` classes names ZooKeeper's SASL provider. */
export function saslAclsEnabled(providers: Readonly<Record<string, string>> | undefined): boolean {
  return providers !== undefined && Object.values(providers).some((c) => c.trim() === saslProviderClass);
}

export class SaslFailure extends Error {}

/** `key=value` and `key="quoted"` directives of a digest-response (RFC 2831 §7.1 `#rule`). */
export function parseDirectives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s"]*))\s*(,|$)/y;
  let at = 0;
  while (at < text.length) {
    if (out.size >= digestDirectivesMax) throw new SaslFailure(`more than ${digestDirectivesMax} directives`);
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new SaslFailure('malformed digest-response');
    const key = m[1]!.toLowerCase();
    if (out.has(key)) throw new SaslFailure(`directive ${key} given twice`);
    out.set(key, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
    at = re.lastIndex;
    if (m[4] === '') break;
  }
  return out;
}

const md5 = (...parts: (string | Buffer)[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};
const md5Hex = (s: string): string => md5(Buffer.from(s, 'latin1')).toString('hex');

/** RFC 2831 with charset=utf-8: a string all in ISO 8859-1 is hashed as such, else as UTF-8. */
function charsetBytes(s: string): Buffer {
  return /^[\u0000-\u00ff]*$/.test(s) ? Buffer.from(s, 'latin1') : Buffer.from(s, 'utf8');
}

/** The digest-response's `response` (or, with `a2Method` '', the server's rspauth) for md5-sess, qop=auth. */
export function digestMd5Response(f: { user: string; realm: string; password: string; nonce: string; cnonce: string; nc: string; digestUri: string; authzid?: string }, a2Method: 'AUTHENTICATE' | ''): string {
  const colon = Buffer.from(':');
  const secret = md5(charsetBytes(f.user), colon, charsetBytes(f.realm), colon, charsetBytes(f.password));
  const a1 = Buffer.concat([secret, Buffer.from(`:${f.nonce}:${f.cnonce}${f.authzid !== undefined ? `:${f.authzid}` : ''}`, 'utf8')]);
  const ha1 = md5(a1).toString('hex');
  return md5Hex(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:auth:${md5Hex(`${a2Method}:${f.digestUri}`)}`);
}

/** One connection's DIGEST-MD5 server (Java's DigestMD5Server as ZooKeeper creates it). */
export class DigestMd5Server {
  private step: 'challenge' | 'response' | 'done' = 'challenge';
  private nonce = '';
  /** The authenticated user, once done. */
  authorizationId: string | undefined;

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly newNonce: () => string = () => randomBytes(nonceBytes).toString('base64'),
  ) {}

  get complete(): boolean {
    return this.step === 'done';
  }

  /** The server's next token for the client's; a bad exchange throws {@link SaslFailure}. */
  evaluate(token: Uint8Array): Uint8Array {
    switch (this.step) {
      case 'challenge':
        // DIGEST-MD5 has no initial response: the client's first token is empty.
        if (token.length !== 0) throw new SaslFailure('DIGEST-MD5: unexpected initial response');
        this.nonce = this.newNonce();
        this.step = 'response';
        // Java's DigestMD5Server leaves qop out when it offers only "auth" (RFC 2831's default), as ZooKeeper 3.8 sends it.
        return Buffer.from(`realm="${saslRealm}",nonce="${this.nonce}",charset=utf-8,algorithm=md5-sess`, 'utf8');
      case 'response':
        return this.verify(token);
      case 'done':
        throw new SaslFailure('DIGEST-MD5: authentication already complete');
    }
  }

  private verify(token: Uint8Array): Uint8Array {
    if (token.length > digestResponseBytesMax) throw new SaslFailure('DIGEST-MD5: response too long');
    const d = parseDirectives(Buffer.from(token).toString('utf8'));
    const need = (k: string): string => {
      const v = d.get(k);
      if (v === undefined) throw new SaslFailure(`DIGEST-MD5: missing ${k}`);
      return v;
    };
    const user = need('username');
    const nonce = need('nonce');
    const cnonce = need('cnonce');
    const nc = need('nc');
    const digestUri = need('digest-uri');
    const response = need('response');
    const realm = d.get('realm') ?? '';
    const qop = d.get('qop') ?? 'auth';
    if (nonce !== this.nonce) throw new SaslFailure('DIGEST-MD5: nonce mismatch');
    if (nc !== '00000001') throw new SaslFailure('DIGEST-MD5: nonce count mismatch');
    if (qop !== 'auth') throw new SaslFailure(`DIGEST-MD5: qop ${qop} not offered`);
    if (realm !== saslRealm) throw new SaslFailure(`DIGEST-MD5: realm ${realm} not offered`);
    if (digestUri.toLowerCase() !== saslDigestUri) throw new SaslFailure(`DIGEST-MD5: digest-uri ${digestUri} is not ${saslDigestUri}`);
    const password = this.users.get(user);
    const authzid = d.get('authzid');
    const fields = { user, realm, password: password ?? '', nonce, cnonce, nc, digestUri, ...(authzid !== undefined ? { authzid } : {}) };
    if (password === undefined || digestMd5Response(fields, 'AUTHENTICATE') !== response.toLowerCase()) {
      this.step = 'done';
      throw new SaslFailure(`DIGEST-MD5: digest response of ${user} does not match`);
    }
    this.step = 'done';
    // ZooKeeper's SaslServerCallbackHandler authorizes the authentication id (its Kerberos short name).
    this.authorizationId = user.replace(/[/@].*$/s, '');
    return Buffer.from(`rspauth=${digestMd5Response(fields, '')}`, 'utf8');
  }
}
