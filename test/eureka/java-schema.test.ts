/**
 * A Java-style client check of conclave's Eureka documents: the JSON and XML of an instance, an application, the
 * full registry and the delta, read with the field types of Eureka 1.x's `InstanceInfo`, `LeaseInfo`,
 * `Application` and `Applications` (strict: every long is an integer count of milliseconds, every int an integer,
 * booleans as Eureka writes them, enums from their Java sets, and no field Eureka does not have). A type drift
 * (a fractional timestamp, a number where Java has a string) fails here, as it would fail a Java client.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { XMLParser } from 'fast-xml-parser';
import { startCluster } from '../zookeeper/cluster-helpers.js';

/** Field types as Eureka's Java classes declare them, in the forms its JSON (Jackson) and XML (XStream) codecs write. */
type FieldType =
  | 'string'
  | 'int'
  | 'long'
  /** A Java long written as a JSON string (InstanceInfo.lastUpdatedTimestamp / lastDirtyTimestamp). */
  | 'longString'
  /** A Java boolean written as a JSON string ("true"/"false"). */
  | 'booleanString'
  | 'status'
  | 'actionType'
  | 'stringMap'
  | 'port'
  | Schema;

interface Schema {
  readonly fields: Readonly<Record<string, FieldType>>;
  /** Fields every document of this type carries. */
  readonly required: readonly string[];
}

const longMax = 2n ** 63n - 1n;
const intMax = 2 ** 31 - 1;
const statuses = new Set(['UP', 'DOWN', 'STARTING', 'OUT_OF_SERVICE', 'UNKNOWN']);
const actionTypes = new Set(['ADDED', 'MODIFIED', 'DELETED']);

const leaseInfo: Schema = {
  fields: { renewalIntervalInSecs: 'int', durationInSecs: 'int', registrationTimestamp: 'long', lastRenewalTimestamp: 'long', evictionTimestamp: 'long', serviceUpTimestamp: 'long' },
  required: ['renewalIntervalInSecs', 'durationInSecs', 'registrationTimestamp', 'lastRenewalTimestamp', 'evictionTimestamp', 'serviceUpTimestamp'],
};
const dataCenterInfo: Schema = { fields: { '@class': 'string', name: 'string', metadata: 'stringMap' }, required: ['@class', 'name'] };

/** InstanceInfo as the JSON codec writes it (`overriddenStatus`; XML spells it `overriddenstatus`). */
function instanceSchema(overridden: string): Schema {
  return {
    fields: {
      instanceId: 'string', hostName: 'string', app: 'string', ipAddr: 'string', sid: 'string', status: 'status', [overridden]: 'status',
      port: 'port', securePort: 'port', countryId: 'int', dataCenterInfo, leaseInfo, metadata: 'stringMap', appGroupName: 'string',
      homePageUrl: 'string', statusPageUrl: 'string', healthCheckUrl: 'string', secureHealthCheckUrl: 'string', vipAddress: 'string',
      secureVipAddress: 'string', isCoordinatingDiscoveryServer: 'booleanString', lastUpdatedTimestamp: 'longString', lastDirtyTimestamp: 'longString',
      actionType: 'actionType', asgName: 'string',
    },
    required: ['hostName', 'app', 'ipAddr', 'status', overridden, 'port', 'securePort', 'countryId', 'dataCenterInfo', 'leaseInfo', 'metadata', 'isCoordinatingDiscoveryServer', 'lastUpdatedTimestamp', 'lastDirtyTimestamp'],
  };
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === '' ? [] : [v]);

function isLongText(v: unknown): boolean {
  if (typeof v !== 'string' || !/^-?\d{1,19}$/.test(v)) return false;
  const b = BigInt(v);
  return b <= longMax && b >= -longMax - 1n;
}

/** XML and JSON both reduce to text or numbers: `xml` says every scalar arrives as text. */
function checkValue(t: FieldType, v: unknown, where: string, xml: boolean, problems: string[]): void {
  const bad = (what: string): void => void problems.push(`${where}: ${what}, got ${JSON.stringify(v)}`);
  if (typeof t === 'object') {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad('an object');
    checkObject(t, v as Record<string, unknown>, where, xml, problems);
    return;
  }
  switch (t) {
    case 'string':
      if (typeof v !== 'string') bad('a string');
      return;
    case 'int':
      if (xml ? !(typeof v === 'string' && /^-?\d{1,10}$/.test(v) && Math.abs(Number(v)) <= intMax) : !(Number.isInteger(v) && Math.abs(v as number) <= intMax)) bad('a Java int');
      return;
    case 'long':
      if (xml ? !isLongText(v) : !(Number.isSafeInteger(v) && isLongText(String(v)))) bad('a Java long (integer ms)');
      return;
    case 'longString':
      if (!isLongText(v)) bad('a Java long as a string of digits');
      return;
    case 'booleanString':
      if (v !== 'true' && v !== 'false') bad('"true" or "false"');
      return;
    case 'status':
      if (typeof v !== 'string' || !statuses.has(v)) bad('an InstanceStatus');
      return;
    case 'actionType':
      if (typeof v !== 'string' || !actionTypes.has(v)) bad('an ActionType');
      return;
    case 'stringMap':
      if (v === '' && xml) return; // <metadata/> (XStream's empty map)
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad('a map');
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (k === '@class') continue; // Jackson's empty-map marker
        if (typeof x !== 'string') bad(`a string value at ${k}`);
      }
      return;
    case 'port': {
      if (v === null || typeof v !== 'object') return bad('{ $, @enabled }');
      const p = v as Record<string, unknown>;
      checkValue('int', p.$, `${where}.$`, xml, problems);
      checkValue('booleanString', p['@enabled'], `${where}.@enabled`, xml, problems);
      const extra = Object.keys(p).filter((k) => k !== '$' && k !== '@enabled');
      if (extra.length > 0) bad(`no fields besides $ and @enabled (${extra.join(', ')})`);
      return;
    }
  }
}

function checkObject(s: Schema, o: Record<string, unknown>, where: string, xml: boolean, problems: string[]): void {
  for (const [k, v] of Object.entries(o)) {
    const t = s.fields[k];
    if (t === undefined) problems.push(`${where}.${k}: not a field of Eureka's type`);
    else checkValue(t, v, `${where}.${k}`, xml, problems);
  }
  for (const k of s.required) if (!(k in o)) problems.push(`${where}.${k}: missing`);
}

function checkApplication(a: unknown, where: string, xml: boolean, problems: string[]): number {
  const app = a as Record<string, unknown>;
  checkValue('string', app.name, `${where}.name`, xml, problems);
  const extra = Object.keys(app).filter((k) => k !== 'name' && k !== 'instance');
  if (extra.length > 0) problems.push(`${where}: unknown fields ${extra.join(', ')}`);
  const instances = asList(app.instance);
  instances.forEach((i, n) => checkValue(instanceSchema(xml ? 'overriddenstatus' : 'overriddenStatus'), i, `${where}.instance[${n}]`, xml, problems));
  return instances.length;
}

function checkApplications(doc: unknown, xml: boolean, problems: string[]): number {
  const apps = (doc as Record<string, unknown>).applications as Record<string, unknown>;
  // Applications: versions__delta and apps__hashcode are Java strings
  if (xml) checkValue('longString', apps.versions__delta, 'applications.versions__delta', xml, problems);
  else checkValue('string', apps.versions__delta, 'applications.versions__delta', xml, problems);
  checkValue('string', apps.apps__hashcode, 'applications.apps__hashcode', xml, problems);
  let n = 0;
  asList(apps.application).forEach((a, i) => (n += checkApplication(a, `applications.application[${i}]`, xml, problems)));
  return n;
}

const xmlParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '$', parseTagValue: false, parseAttributeValue: false });

async function get(url: string, accept: string): Promise<string> {
  const r = await fetch(url, { headers: { accept } });
  assert.is(r.status, 200, `${url} (${accept})`);
  return r.text();
}

test('Eureka JSON and XML read with the Java types of InstanceInfo/LeaseInfo/Applications: integer ms timestamps', async () => {
  const s = await startCluster();
  try {
    const base = s.endpoints.find((e) => e.service === 'eureka')!.url;
    const body = {
      instance: {
        instanceId: 'schema-1', app: 'SCHEMA', hostName: 'schema-1', ipAddr: '127.0.0.1', port: { $: 9000, '@enabled': 'true' },
        securePort: { $: 9443, '@enabled': 'false' }, vipAddress: 'schema', status: 'UP', metadata: { zone: 'a' },
        dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
        leaseInfo: { renewalIntervalInSecs: 30, durationInSecs: 90 },
      },
    };
    assert.is((await fetch(`${base}SCHEMA`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status, 204);
    // a renewal and a status override change lastRenewalTimestamp, lastUpdatedTimestamp and the delta's actionType
    assert.is((await fetch(`${base}SCHEMA/schema-1`, { method: 'PUT' })).status, 200);
    assert.is((await fetch(`${base}SCHEMA/schema-1/status?value=OUT_OF_SERVICE`, { method: 'PUT' })).status, 200);
    const problems: string[] = [];
    const instJson = JSON.parse(await get(`${base}SCHEMA/schema-1`, 'application/json')) as { instance: unknown };
    checkValue(instanceSchema('overriddenStatus'), instJson.instance, 'instance', false, problems);
    const instXml = xmlParser.parse(await get(`${base}SCHEMA/schema-1`, 'application/xml')) as { instance: unknown };
    checkValue(instanceSchema('overriddenstatus'), instXml.instance, 'instance(xml)', true, problems);
    const appJson = JSON.parse(await get(`${base}SCHEMA`, 'application/json')) as { application: unknown };
    assert.is(checkApplication(appJson.application, 'application', false, problems), 1);
    const appXml = xmlParser.parse(await get(`${base}SCHEMA`, 'application/xml')) as { application: unknown };
    assert.is(checkApplication(appXml.application, 'application(xml)', true, problems), 1);
    for (const path of ['', 'delta']) {
      assert.ok(checkApplications(JSON.parse(await get(`${base}${path}`, 'application/json')), false, problems) >= 1, `${path || 'apps'} json lists the instance`);
      assert.ok(checkApplications(xmlParser.parse(await get(`${base}${path}`, 'application/xml')), true, problems) >= 1, `${path || 'apps'} xml lists the instance`);
    }
    // the values themselves: milliseconds of this run
    const lease = (instJson.instance as { leaseInfo: Record<string, number> }).leaseInfo;
    const now = Date.now();
    // (lastRenewalTimestamp is now + duration, as Eureka's Lease.renew stores it)
  for (const k of ['registrationTimestamp', 'lastRenewalTimestamp', 'serviceUpTimestamp']) assert.ok(Math.abs(lease[k]! - now) < 120_000, `${k} ${lease[k]} is near now`);
    assert.is(lease.evictionTimestamp, 0);
    assert.equal(problems, []);
  } finally {
    await s.close();
  }
});

test('the strict schema rejects what a Java client rejects (a fractional timestamp, an unknown field, a numeric boolean)', () => {
  const problems: string[] = [];
  checkValue(leaseInfo, { renewalIntervalInSecs: 30, durationInSecs: 90, registrationTimestamp: 1796456967226.7493, lastRenewalTimestamp: 1, evictionTimestamp: 0, serviceUpTimestamp: 1 }, 'l', false, problems);
  checkValue('longString', '1796456967226.7493', 'u', false, problems);
  checkValue('booleanString', false, 'b', false, problems);
  checkValue(dataCenterInfo, { '@class': 'x', name: 'MyOwn', zone: 'a' }, 'd', false, problems);
  checkValue('long', '12.5', 'x', true, problems);
  assert.equal(problems.map((p) => p.split(':')[0]), ['l.registrationTimestamp', 'u', 'b', 'd.zone', 'x']);
});

test.run();
