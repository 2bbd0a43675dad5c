// comlink ships its Node adapter without type declarations for this path.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export default function nodeEndpoint(port: unknown): Endpoint;
}
