/** For exhaustive switches inside the registry core (core imports only protocol/ and its own folder). */
export function assertNeverRegistry(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
