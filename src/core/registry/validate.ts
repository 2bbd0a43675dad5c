import type { InstanceInfo } from './types.js';

/** ApplicationResource.addInstance's checks, with Eureka's 400 texts; null when the registration is valid. */
export function validateRegistration(info: InstanceInfo, appFromPath: string): string | null {
  if (info.instanceId === '') return 'Missing instanceId';
  if (info.hostName === '') return 'Missing hostname';
  if (info.ipAddr === '') return 'Missing ip address';
  if (info.app === '') return 'Missing appName';
  if (info.app.toUpperCase() !== appFromPath.toUpperCase()) {
    return `Mismatched appName, expecting ${appFromPath.toUpperCase()} but was ${info.app.toUpperCase()}`;
  }
  if (info.dataCenterInfo.name === '') return 'Missing dataCenterInfo Name';
  return null;
}
