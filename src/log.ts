/**
 * Logs (pino): one JSON line per event on stdout with `level`, `time` (ms since the epoch), `node`, `actor` and `msg`,
 * plus the event's own fields; a short human line instead when stdout is a terminal. The actors never log: they emit
 * typed events (src/protocol/events.ts) that cross to the main thread with the others, and `eventLogLine` turns the
 * notable ones into log lines here, at the edge.
 */
import { Writable } from 'node:stream';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import type { Observable, Subscription } from 'rxjs';
import type { ClusterEvent, EventPayload } from './protocol/events.js';
import { zxidHex } from './protocol/zxid.js';

export type { Logger } from 'pino';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
export const logLevelDefault: LogLevel = 'info';

/** A level name (case-insensitive; log4j's WARN/ERROR/... and OFF/ALL too); a bad one is an Error naming `where`. */
export function logLevelOf(value: string, where: string): LogLevel {
  const v = value.trim().toLowerCase();
  const alias: Record<string, LogLevel> = { off: 'silent', all: 'trace', warning: 'warn' };
  const level = alias[v] ?? v;
  if (!(logLevels as readonly string[]).includes(level)) throw new Error(`${where}: log level must be one of ${logLevels.join(', ')}, got '${value}'`);
  return level as LogLevel;
}

/** Bytes of one pretty line's extra fields at most (the JSON line keeps them all). */
const prettyFieldsCharsMax = 400;

/** A terminal's line: `12:00:01.234 INFO  n1 broadcast: msg {fields}`. */
function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, node, actor, msg, ...rest } = o;
  const at = new Date(typeof time === 'number' ? time : Date.now()).toISOString().slice(11, 23);
  const who = [node, actor].filter((x) => typeof x === 'string').join(' ');
  const extra = Object.keys(rest).length === 0 ? '' : ` ${JSON.stringify(rest).slice(0, prettyFieldsCharsMax)}`;
  return `${at} ${String(level).toUpperCase().padEnd(5)} ${who}${who === '' ? '' : ': '}${String(msg ?? '')}${extra}\n`;
}

function prettyStream(out: { write(s: string): unknown }): DestinationStream {
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      out.write(String(chunk).split('\n').filter((l) => l !== '').map(prettyLine).join(''));
      done();
    },
  });
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Where lines go (default stdout, written synchronously so a line before an exit is not lost). */
  readonly stream?: DestinationStream;
  /** Human lines instead of JSON (default: when the stream is stdout and stdout is a terminal). */
  readonly pretty?: boolean;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  const pretty = o.pretty ?? (o.stream === undefined && process.stdout.isTTY === true);
  const target = o.stream ?? (pretty ? process.stdout : pino.destination({ dest: 1, sync: true }));
  const stream = pretty ? prettyStream(target) : target;
  return pino(
    {
      level: o.level ?? logLevelDefault,
      base: undefined,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** What one event says in the log: its level, the actor that emitted it, a sentence, and fields. */
export interface EventLogLine {
  readonly level: Level;
  readonly actor: string;
  readonly msg: string;
  readonly fields?: Record<string, unknown>;
}

const sid = (n: number): string => `0x${n.toString(16)}`;

/** The log line of an event, or null for events that are not logged (per-txn and per-message traffic). */
export function eventLogLine(ev: ClusterEvent): EventLogLine | null {
  switch (ev.type) {
    case 'ElectionStarted':
      return { level: 'info', actor: 'election', msg: `election started (${ev.reason})`, fields: { electionEpoch: ev.electionEpoch, zxid: zxidHex(ev.zxid) } };
    case 'ElectionDecided':
      return { level: 'debug', actor: 'election', msg: `election decided: ${ev.role} server.${ev.leader} leads`, fields: { electionEpoch: ev.electionEpoch } };
    case 'LeaderElected':
      return { level: 'info', actor: 'broadcast', msg: `leading epoch ${ev.epoch}: election took ${Math.round(ev.electionMs)} ms`, fields: { leader: ev.leader, epoch: ev.epoch, zxid: zxidHex(ev.zxid), electionMs: Math.round(ev.electionMs) } };
    case 'FollowingLeader':
      return { level: 'info', actor: 'broadcast', msg: `following server.${ev.leader} in epoch ${ev.epoch}: election took ${Math.round(ev.electionMs)} ms`, fields: { leader: ev.leader, epoch: ev.epoch, electionMs: Math.round(ev.electionMs) } };
    case 'LeaderSteppedDown':
      return { level: 'warn', actor: 'broadcast', msg: `stepped down as leader of epoch ${ev.epoch}: ${ev.reason}`, fields: { epoch: ev.epoch } };
    case 'LeaderLost':
      return { level: 'warn', actor: 'broadcast', msg: `lost leader server.${ev.leader}: ${ev.reason}`, fields: { leader: ev.leader } };
    case 'SyncStarted':
      return { level: 'info', actor: 'broadcast', msg: `syncing server.${ev.peer} by ${ev.mode}`, fields: { peer: ev.peer, mode: ev.mode, fromZxid: zxidHex(ev.fromZxid), toZxid: zxidHex(ev.toZxid) } };
    case 'SnapshotWritten':
      return { level: 'info', actor: 'storage', msg: `snapshot taken at ${zxidHex(ev.zxid)}: ${ev.bytes} bytes`, fields: { zxid: zxidHex(ev.zxid), bytes: ev.bytes } };
    case 'SnapshotRestored':
      return { level: 'info', actor: 'storage', msg: `snapshot restored at ${zxidHex(ev.zxid)} from ${ev.source === 'disk' ? 'disk' : 'the leader'}`, fields: { zxid: zxidHex(ev.zxid), source: ev.source } };
    case 'SessionCreated':
      return { level: 'debug', actor: 'zookeeper', msg: `session ${sid(ev.sessionId)} created, timeout ${ev.timeoutMs} ms`, fields: { sessionId: sid(ev.sessionId), timeoutMs: ev.timeoutMs } };
    case 'SessionExpired':
      return { level: 'debug', actor: 'zookeeper', msg: `session ${sid(ev.sessionId)} expired`, fields: { sessionId: sid(ev.sessionId) } };
    case 'PeerConnectionRefused':
      return { level: 'warn', actor: 'transport', msg: `refused a peer connection from ${ev.remote}: ${ev.reason}`, fields: { remote: ev.remote } };
    case 'SelfPreservationEntered':
    case 'SelfPreservationLeft':
      return {
        level: 'warn',
        actor: 'registry',
        msg: `Eureka self-preservation ${ev.type === 'SelfPreservationEntered' ? 'on: evictions held back' : 'off'} (${ev.renewsLastWindow} renewals last minute, threshold ${ev.threshold})`,
        fields: { renewsLastWindow: ev.renewsLastWindow, threshold: ev.threshold, expectedClients: ev.expectedClients },
      };
    case 'RegistrySynced':
      return { level: 'info', actor: 'registry', msg: `registry synced: ${ev.instances} instances from ${ev.peersAnswered} of ${ev.peers} peers` };
    case 'ReplicationFailed':
      return { level: 'warn', actor: 'registry', msg: `replication of ${ev.items} items to ${ev.peer} failed: ${ev.reason}${ev.willRetry ? ' (retrying)' : ''}` };
    case 'FaultInjected':
      return { level: 'warn', actor: 'lab', msg: `fault injected: ${ev.fault.kind}`, fields: { fault: ev.fault } };
    case 'NodeCrashed':
      return { level: 'error', actor: 'node', msg: `node crashed: ${ev.reason}` };
    case 'ActorRestarted':
      return { level: 'error', actor: ev.actor.slice(ev.actor.indexOf('/') + 1), msg: `actor failed (${ev.directive}, attempt ${ev.attempt}): ${ev.error}`, fields: { directive: ev.directive, backoffMs: ev.backoffMs } };
    default:
      return null;
  }
}

/** The event types `eventLogLine` logs (a node that filters its events must let these through). */
export const loggedEventTypes = [
  'ElectionStarted',
  'ElectionDecided',
  'LeaderElected',
  'FollowingLeader',
  'LeaderSteppedDown',
  'LeaderLost',
  'SyncStarted',
  'SnapshotWritten',
  'SnapshotRestored',
  'SessionCreated',
  'SessionExpired',
  'PeerConnectionRefused',
  'SelfPreservationEntered',
  'SelfPreservationLeft',
  'RegistrySynced',
  'ReplicationFailed',
  'FaultInjected',
  'NodeCrashed',
  'ActorRestarted',
] as const satisfies readonly ClusterEvent['type'][];

/** Log one event (nothing for the unlogged kinds). */
export function logEvent(log: Logger, ev: ClusterEvent): void {
  const l = eventLogLine(ev);
  if (l !== null) log[l.level]({ node: ev.node, actor: l.actor, ...l.fields }, l.msg);
}

/** Every event as an info line of its own type (`--events`; an unattended tcp node). */
export function eventLine(log: Logger): (node: string, time: number, ev: EventPayload) => void {
  const events = log.child({ actor: 'events' });
  return (node, time, ev) => events.info({ ...ev, node, eventTime: time }, ev.type);
}

/** Log every event of a stream until the subscription ends. */
export function logEvents(log: Logger, events$: Observable<ClusterEvent>): Subscription {
  return events$.subscribe((ev) => logEvent(log, ev));
}

let processLevel: LogLevel = logLevelDefault;
let processLoggerMade: Logger | null = null;

/** The level of the process's logger (`--log-level` of the command; set before the logger is first used). */
export function setProcessLogLevel(level: LogLevel): void {
  processLevel = level;
  if (processLoggerMade !== null) processLoggerMade.level = level;
}

/** The command's logger: stdout, at the `--log-level` of the command (default info). */
export function processLogger(): Logger {
  processLoggerMade ??= createLogger({ level: processLevel });
  return processLoggerMade;
}
