import type { InstanceInfo, InstanceStatus } from '../../src/core/registry/types.js';

/** A minimal valid instance, as the codec would decode it. */
export function inst(app: string, id: string, o: Partial<InstanceInfo> = {}): InstanceInfo {
  return {
    instanceId: id,
    hostName: id,
    app: app.toUpperCase(),
    ipAddr: '10.0.0.1',
    status: 'UP' as InstanceStatus,
    overriddenStatus: 'UNKNOWN' as InstanceStatus,
    port: 8080,
    portEnabled: true,
    securePort: 443,
    securePortEnabled: false,
    countryId: 1,
    dataCenterInfo: { className: 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
    leaseInfo: { renewalIntervalInSecs: 30, durationInSecs: 90, registrationTimestamp: 0, lastRenewalTimestamp: 0, evictionTimestamp: 0, serviceUpTimestamp: 0 },
    metadata: {},
    vipAddress: app.toLowerCase(),
    isCoordinatingDiscoveryServer: false,
    lastUpdatedTimestamp: 1000,
    lastDirtyTimestamp: 1000,
    ...o,
  };
}
