declare module 'eureka-js-client' {
  export interface EurekaInstanceInfo {
    readonly app: string;
    readonly hostName: string;
    readonly status: string;
    readonly instanceId?: string;
    readonly port: { readonly $: number } | number;
    readonly vipAddress?: string;
    readonly actionType?: string;
  }
  export class Eureka {
    constructor(config: Record<string, unknown>);
    start(cb?: (err?: unknown) => void): void;
    stop(cb?: (err?: unknown) => void): void;
    getInstancesByAppId(appId: string): EurekaInstanceInfo[];
    getInstancesByVipAddress(vip: string): EurekaInstanceInfo[];
    on(ev: string, fn: (...a: unknown[]) => void): this;
    startHeartbeats(): void;
    heartbeat?: NodeJS.Timeout;
    registryFetch?: NodeJS.Timeout;
  }
}
