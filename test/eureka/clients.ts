/** eureka-js-client 4.5.0 helpers for the integration tests: quiet logger, short intervals, promise wrappers. */
import { Eureka } from 'eureka-js-client';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, level() {} };

export interface ClientOptions {
  readonly app: string;
  readonly host: string;
  readonly port: number;
  readonly servicePath?: string;
  readonly instancePort?: unknown;
  readonly withClass?: boolean;
  readonly shouldUseDelta?: boolean;
  readonly heartbeatIntervalMs?: number;
  readonly registryFetchIntervalMs?: number;
  /** Lease duration the instance asks for, in whole seconds (Eureka's leaseInfo.durationInSecs). */
  readonly durationInSecs?: number;
  readonly fetchRegistry?: boolean;
}

export function makeClient(o: ClientOptions): Eureka {
  return new Eureka({
    logger: quiet,
    shouldUseDelta: o.shouldUseDelta ?? false,
    instance: {
      app: o.app,
      hostName: o.host,
      ipAddr: '127.0.0.1',
      port: o.instancePort ?? { $: 8080, '@enabled': true },
      vipAddress: `${o.app}.vip`,
      statusPageUrl: `http://${o.host}:8080/info`,
      leaseInfo: { renewalIntervalInSecs: 1, durationInSecs: o.durationInSecs ?? 1 },
      dataCenterInfo: o.withClass === false ? { name: 'MyOwn' } : { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
      metadata: { 'management.port': '8080' },
    },
    eureka: {
      host: '127.0.0.1',
      port: o.port,
      servicePath: o.servicePath ?? '/eureka/v2/apps/',
      heartbeatInterval: o.heartbeatIntervalMs ?? 300,
      registryFetchInterval: o.registryFetchIntervalMs ?? 300,
      maxRetries: 1,
      requestRetryDelay: 50,
      fetchRegistry: o.fetchRegistry ?? true,
    },
  });
}

export function start(c: Eureka): Promise<void> {
  return new Promise((resolve, reject) => c.start((err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve())));
}

export function stop(c: Eureka): Promise<void> {
  return new Promise((resolve) => c.stop(() => resolve()));
}

/** Kill without deregistering: stop the client's timers only (the process "dies"). */
export function die(c: Eureka): void {
  if (c.heartbeat) clearInterval(c.heartbeat);
  if (c.registryFetch) clearInterval(c.registryFetch);
}

export function hosts(c: Eureka, appId: string): string[] {
  return c.getInstancesByAppId(appId).map((i) => i.hostName).sort();
}
