/**
 * A zxid is ZooKeeper's transaction id: `(epoch << 32) | counter`. We keep it as ONE JavaScript number,
 * `epoch * 2^32 + counter`: plain data (structured clone and JSON safe), totally ordered with `<`, and exact as long
 * as epoch < 2^21 (`zxidEpochMax`, two million leader changes). The counter is 32 bits as in ZooKeeper; a leader
 * whose counter would pass `zxidCounterMax` must step down so a new epoch starts at counter 0 (ZOOKEEPER-1277).
 */
export type Zxid = number;

export const zxidCounterMax = 0xffff_ffff;
export const zxidEpochMax = 2 ** 21 - 1;
const two32 = 2 ** 32;

export function zxidOf(epoch: number, counter: number): Zxid {
  return epoch * two32 + counter;
}
export function zxidEpoch(z: Zxid): number {
  return Math.floor(z / two32);
}
export function zxidCounter(z: Zxid): number {
  return z % two32;
}
/** `0x<epoch>_<counter>` for logs and test messages. */
export function zxidHex(z: Zxid): string {
  return `0x${zxidEpoch(z).toString(16)}_${zxidCounter(z).toString(16).padStart(8, '0')}`;
}
