/**
 * The unit that moves between actors, on every driver. Plain data only: it must survive structured clone
 * (worker threads) and a JSON/binary frame (tcp) unchanged.
 */

/** An actor's address: `<node>/<actor>`, for example `n1/election`. */
export type Address = string;

/** Every message is a readonly discriminated union member with a PascalCase `type`. */
export interface Message {
  readonly type: string;
}

/**
 * What send/ask/reply accept: any message, with whatever payload fields (an object literal with extra fields
 * is not an error, and interface-typed message unions are accepted).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMessage = Message & { readonly [field: string]: any };

export interface Envelope {
  readonly to: Address;
  /** null when sent from outside the actor system (a front end, a test, the driver). */
  readonly from: Address | null;
  readonly msg: Message;
  /** Set on an ask: the asker's correlation id; the reply carries it back as `replyTo`. */
  readonly askId?: number;
  /** Set on a reply to an ask. */
  readonly replyTo?: number;
}

export function address(node: string, actor: string): Address {
  return `${node}/${actor}`;
}

export function nodeOf(addr: Address): string {
  const i = addr.indexOf('/');
  return i < 0 ? addr : addr.slice(0, i);
}

export function actorOf(addr: Address): string {
  const i = addr.indexOf('/');
  return i < 0 ? '' : addr.slice(i + 1);
}
