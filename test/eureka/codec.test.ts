import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeApps,
  decodeInstance,
  decodeReplicationList,
  encodeAppJson,
  encodeAppsJson,
  encodeAppsXml,
  encodeInstanceJson,
  encodeReplicationResponse,
  bodyDepthMax,
  bodyElementsMax,
  instanceXml,
  prescanBody,
} from '../../src/wire/eureka/codec.js';
import type { InstanceInfo } from '../../src/core/registry/types.js';
import { inst } from './fixtures.js';

const specInstance: InstanceInfo = inst('myapp', 'host1:myapp:8080', {
  hostName: 'host1',
  ipAddr: '10.0.0.1',
  leaseInfo: {
    renewalIntervalInSecs: 30,
    durationInSecs: 90,
    registrationTimestamp: 1700000000000,
    lastRenewalTimestamp: 1700000120000,
    evictionTimestamp: 0,
    serviceUpTimestamp: 1700000000000,
  },
  homePageUrl: 'http://host1:8080/',
  statusPageUrl: 'http://host1:8080/info',
  healthCheckUrl: 'http://host1:8080/health',
  vipAddress: 'myapp',
  secureVipAddress: 'myapp',
  lastUpdatedTimestamp: 1700000000000,
  lastDirtyTimestamp: 1700000000000,
  actionType: 'ADDED',
});

test('InstanceInfo JSON is byte-identical to the spec example (field order, $/@enabled, @class, string @Auto fields)', () => {
  const expected =
    '{"instance":{"instanceId":"host1:myapp:8080","hostName":"host1","app":"MYAPP","ipAddr":"10.0.0.1","status":"UP","overriddenStatus":"UNKNOWN",' +
    '"port":{"$":8080,"@enabled":"true"},"securePort":{"$":443,"@enabled":"false"},"countryId":1,' +
    '"dataCenterInfo":{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo","name":"MyOwn"},' +
    '"leaseInfo":{"renewalIntervalInSecs":30,"durationInSecs":90,"registrationTimestamp":1700000000000,"lastRenewalTimestamp":1700000120000,"evictionTimestamp":0,"serviceUpTimestamp":1700000000000},' +
    '"metadata":{"@class":"java.util.Collections$EmptyMap"},"homePageUrl":"http://host1:8080/","statusPageUrl":"http://host1:8080/info",' +
    '"healthCheckUrl":"http://host1:8080/health","vipAddress":"myapp","secureVipAddress":"myapp","isCoordinatingDiscoveryServer":"false",' +
    '"lastUpdatedTimestamp":"1700000000000","lastDirtyTimestamp":"1700000000000","actionType":"ADDED"}}';
  assert.is(encodeInstanceJson(specInstance), expected);
});

test('Applications JSON: always arrays, versions__delta a string, empty registry is "application":[]', () => {
  assert.is(encodeAppsJson({ versionsDelta: '1', appsHashcode: '', applications: [] }), '{"applications":{"versions__delta":"1","apps__hashcode":"","application":[]}}');
  const one = JSON.parse(encodeAppsJson({ versionsDelta: '3', appsHashcode: 'UP_1_', applications: [{ name: 'MYAPP', instances: [specInstance] }] }));
  assert.ok(Array.isArray(one.applications.application));
  assert.ok(Array.isArray(one.applications.application[0].instance));
  assert.is(one.applications.versions__delta, '3');
  assert.is(one.applications.application[0].instance[0].instanceId, 'host1:myapp:8080');
  assert.ok(encodeAppJson({ name: 'MYAPP', instances: [specInstance] }).startsWith('{"application":{"name":"MYAPP","instance":[{"instanceId"'));
});

test('non-empty metadata is a flat map; compact drops the mini-codec fields', () => {
  const j = JSON.parse(encodeInstanceJson({ ...specInstance, metadata: { 'management.port': '8080' } }));
  assert.equal(j.instance.metadata, { 'management.port': '8080' });
  const c = JSON.parse(encodeInstanceJson(specInstance, { compact: true })).instance;
  for (const k of ['leaseInfo', 'metadata', 'overriddenStatus', 'countryId', 'homePageUrl', 'lastDirtyTimestamp', 'isCoordinatingDiscoveryServer']) assert.not.ok(k in c, k);
  assert.is(c.vipAddress, 'myapp');
});

test('XML shapes follow XStream: overriddenstatus, port attributes, class attributes, empty metadata', () => {
  const x = instanceXml(specInstance);
  assert.ok(x.startsWith('<instance><instanceId>host1:myapp:8080</instanceId><hostName>host1</hostName><app>MYAPP</app><ipAddr>10.0.0.1</ipAddr><status>UP</status><overriddenstatus>UNKNOWN</overriddenstatus><port enabled="true">8080</port><securePort enabled="false">443</securePort><countryId>1</countryId><dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo><leaseInfo><renewalIntervalInSecs>30</renewalIntervalInSecs>'), x);
  assert.ok(x.includes('<metadata class="java.util.Collections$EmptyMap"/>'));
  assert.ok(x.endsWith('<actionType>ADDED</actionType></instance>'));
  const apps = encodeAppsXml({ versionsDelta: '1', appsHashcode: 'UP_1_', applications: [{ name: 'MYAPP', instances: [specInstance] }] });
  assert.ok(apps.startsWith('<applications><versions__delta>1</versions__delta><apps__hashcode>UP_1_</apps__hashcode><application><name>MYAPP</name><instance>'));
  // and it round-trips through our XML reader
  const back = decodeApps(apps);
  assert.ok(back.ok);
  if (back.ok) assert.equal(back.value.applications[0]!.instances[0], { ...specInstance });
  assert.ok(instanceXml({ ...specInstance, hostName: 'a<b&"c' }).includes('<hostName>a&lt;b&amp;&quot;c</hostName>'));
});

test('lenient decoding: port number, numeric string, object with boolean @enabled; no @class; metadata @class', () => {
  const base = { app: 'jqservice', hostName: 'h', ipAddr: '127.0.0.1', vipAddress: 'jq.vip' };
  const cases: [unknown, number, boolean][] = [
    [8080, 8080, true],
    ['8081', 8081, true],
    [{ $: 8082, '@enabled': true }, 8082, true],
    [{ $: '8083', '@enabled': 'false' }, 8083, false],
  ];
  for (const [port, n, en] of cases) {
    const d = decodeInstance(JSON.stringify({ instance: { ...base, port, dataCenterInfo: { name: 'MyOwn' }, metadata: { '@class': 'java.util.Collections$EmptyMap' } } }), 42);
    assert.ok(d.ok, JSON.stringify(d));
    if (!d.ok) continue;
    assert.is(d.value.port, n);
    assert.is(d.value.portEnabled, en);
    assert.is(d.value.app, 'JQSERVICE');
    assert.is(d.value.instanceId, 'h', 'id falls back to hostName');
    assert.is(d.value.dataCenterInfo.className, 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo');
    assert.equal(d.value.metadata, {});
    assert.is(d.value.lastDirtyTimestamp, 42, 'server stamps now when the client sends none');
    assert.is(d.value.securePort, 7002);
    assert.is(d.value.securePortEnabled, false);
    assert.is(d.value.status, 'UP');
  }
  const amazon = decodeInstance(JSON.stringify({ instance: { ...base, dataCenterInfo: { name: 'Amazon', metadata: { 'instance-id': 'i-123' } } } }), 0);
  assert.ok(amazon.ok && amazon.value.instanceId === 'i-123' && amazon.value.dataCenterInfo.className === 'com.netflix.appinfo.AmazonInfo');
  const weird = decodeInstance(JSON.stringify({ instance: { ...base, status: 'sleepy', overriddenstatus: 'OUT_OF_SERVICE', dataCenterInfo: { name: 'MyOwn' } } }), 0);
  assert.ok(weird.ok && weird.value.status === 'UNKNOWN' && weird.value.overriddenStatus === 'OUT_OF_SERVICE');
});

test('XML registration bodies decode to the same instance', () => {
  const xml = '<instance><hostName>h</hostName><app>jq</app><ipAddr>1.2.3.4</ipAddr><status>UP</status><port enabled="true">8080</port><dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo><metadata><zone>z1</zone></metadata></instance>';
  const d = decodeInstance(xml, 5);
  assert.ok(d.ok, JSON.stringify(d));
  if (d.ok) {
    assert.is(d.value.port, 8080);
    assert.is(d.value.app, 'JQ');
    assert.equal(d.value.metadata, { zone: 'z1' });
  }
});

test('bad bodies give clear errors, never throws', () => {
  const bad: [string, RegExp][] = [
    ['', /Empty/],
    ['{not json', /Malformed JSON/],
    ['[1,2]', /expected an object/],
    ['<instance><app>x</app', /Malformed XML|Missing dataCenterInfo/],
    [JSON.stringify({ instance: { app: 'x', hostName: 'h' } }), /Missing dataCenterInfo/],
    [JSON.stringify({ instance: { app: 'x', dataCenterInfo: {} } }), /Missing dataCenterInfo Name/],
    [JSON.stringify({ instance: { app: 'x', port: 'eighty', dataCenterInfo: { name: 'MyOwn' } } }), /port must be a number/],
    ['null', /Malformed JSON/],
    [JSON.stringify({ foo: 1 }), /Missing instance/],
  ];
  for (const [body, re] of bad) {
    const d = decodeInstance(body, 0);
    assert.is(d.ok, false, body);
    if (!d.ok) assert.match(d.error, re);
  }
});

test('client-side Applications decoding accepts single objects as well as arrays', () => {
  const single = JSON.stringify({ applications: { versions__delta: '1', apps__hashcode: 'UP_1_', application: { name: 'A', instance: { hostName: 'h', app: 'A', dataCenterInfo: { name: 'MyOwn' } } } } });
  const d = decodeApps(single);
  assert.ok(d.ok && d.value.applications.length === 1 && d.value.applications[0]!.instances.length === 1);
});

test('peer replication batch: decode Java-shaped items, encode positional responses', () => {
  const body = JSON.stringify({
    replicationList: [
      { appName: 'MYAPP', id: 'host1', lastDirtyTimestamp: 1700000000000, overriddenStatus: 'OUT_OF_SERVICE', status: 'UP', action: 'Heartbeat' },
      { appName: 'MYAPP', id: 'host1', action: 'Register', instanceInfo: JSON.parse(encodeInstanceJson(specInstance)).instance },
      { appName: 'MYAPP', id: 'host1', action: 'Cancel' },
    ],
  });
  const d = decodeReplicationList(body, 0);
  assert.ok(d.ok, JSON.stringify(d));
  if (d.ok) {
    assert.equal(d.value.map((i) => i.action), ['Heartbeat', 'Register', 'Cancel']);
    assert.is(d.value[0]!.overriddenStatus, 'OUT_OF_SERVICE');
    assert.is(d.value[0]!.lastDirtyTimestamp, 1700000000000);
    assert.is(d.value[1]!.instanceInfo!.instanceId, 'host1:myapp:8080');
  }
  assert.is(decodeReplicationList(JSON.stringify({ replicationList: [{ appName: 'A', id: 'x', action: 'Explode' }] }), 0).ok, false);
  assert.is(decodeReplicationList(JSON.stringify({ replicationList: [{ appName: 'A', id: 'x', action: 'Register' }] }), 0).ok, false);
  const r = JSON.parse(encodeReplicationResponse([{ statusCode: 200 }, { statusCode: 404 }, { statusCode: 409, instanceInfo: specInstance }]));
  assert.equal(r.responseList.slice(0, 2), [{ statusCode: 200 }, { statusCode: 404 }]);
  assert.is(r.responseList[2].statusCode, 409);
  assert.is(r.responseList[2].responseEntity.instanceId, 'host1:myapp:8080');
});

test('bodies past the element or depth bound, or XML with a DOCTYPE, are refused before any parser runs', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  assert.is(prescanBody(deep(bodyDepthMax), false), null);
  assert.is(prescanBody(deep(bodyDepthMax + 1), false), `Body nested deeper than ${bodyDepthMax}`);
  const wide = (n: number) => '[' + '0,'.repeat(n - 1) + '0]';
  assert.is(prescanBody(wide(bodyElementsMax - 1), false), null);
  assert.is(prescanBody(wide(bodyElementsMax), false), `Body has more than ${bodyElementsMax} values`);
  // brackets and commas inside strings are not structure
  assert.is(prescanBody(JSON.stringify({ a: ','.repeat(bodyElementsMax * 2) + '[[[["\\' }), false), null);
  const xml = (n: number) => '<r>' + '<a>1</a>'.repeat(n) + '</r>';
  assert.is(prescanBody(xml((bodyElementsMax - 2) / 2), true), null);
  assert.is(prescanBody(xml(bodyElementsMax), true), `Body has more than ${bodyElementsMax} elements`);
  assert.is(prescanBody('<a><b/><b/><b/></a>', true), null);
  assert.is(prescanBody('<a>'.repeat(bodyDepthMax + 1), true), `Body nested deeper than ${bodyDepthMax}`);
  assert.is(prescanBody('<!DOCTYPE x [<!ENTITY a "b">]><instance/>', true), 'XML body with a DOCTYPE');
  const d = decodeInstance(deep(100_000), 0);
  assert.equal(d, { ok: false, error: `Body nested deeper than ${bodyDepthMax}` });
});

test.run();
