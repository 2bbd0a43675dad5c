/**
 * Messages are immutable values. Structured clone drops the frozen flag, so the kernel freezes each message
 * again on delivery. Typed arrays cannot be frozen and are left as they are. Off when NODE_ENV=production.
 */
export const freezeOnDelivery = process.env.NODE_ENV !== 'production';

export function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v) || ArrayBuffer.isView(v)) return v;
  if (v instanceof Map || v instanceof Set) {
    Object.freeze(v);
    return v;
  }
  Object.freeze(v);
  for (const k of Object.keys(v as object)) deepFreeze((v as Record<string, unknown>)[k]);
  return v;
}
