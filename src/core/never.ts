/** Exhaustive-switch helper for src/core (which may import only src/protocol). A throw here is a bug. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
