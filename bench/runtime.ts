/**
 * `conclave bench runtime`: messages per second and round-trip latency through the actor runtime on worker
 * threads, beside raw MessagePort posts between two worker threads measured in the same run.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { createThreadsRuntime } from '../src/runtime/threads/index.js';
import { percentile, printTable, progress, saveResult } from './report.js';

/** Messages per throughput trial, and trials per path (the best trial counts: the machine is shared). */
const messagesPerTrial = 500_000;
const trials = 5;
const rttRounds = 2_000;
const rawBatch = 100;
const trialTimeoutMs = 60_000;

const rawWorkerUrl = new URL('./raw-port-worker.js', import.meta.url);

function waitFor<T>(w: Worker, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('raw worker timed out')), timeoutMs);
    w.once('message', (m: T) => {
      clearTimeout(t);
      resolve(m);
    });
  });
}

/** The raw path: a sender worker posts batches of 100 to a sink worker; resolves with msg/s. */
class RawPair {
  private readonly sender = new Worker(rawWorkerUrl);
  private readonly sink = new Worker(rawWorkerUrl);

  async trial(): Promise<number> {
    const ch = new MessageChannel();
    this.sink.postMessage({ port: ch.port2, mode: 'sink', count: messagesPerTrial, batch: rawBatch }, [ch.port2]);
    const done = waitFor<{ done: number }>(this.sink, trialTimeoutMs);
    const t0 = performance.now();
    this.sender.postMessage({ port: ch.port1, mode: 'send', count: messagesPerTrial, batch: rawBatch }, [ch.port1]);
    await done;
    const rate = messagesPerTrial / ((performance.now() - t0) / 1000);
    ch.port1.close();
    return rate;
  }

  async close(): Promise<void> {
    await this.sender.terminate();
    await this.sink.terminate();
  }
}

async function rawRtt(): Promise<number[]> {
  const a = new Worker(rawWorkerUrl);
  const b = new Worker(rawWorkerUrl);
  try {
    const ch = new MessageChannel();
    b.postMessage({ port: ch.port2, mode: 'echo', count: 0, batch: 1 }, [ch.port2]);
    const done = waitFor<{ rtts: number[] }>(a, trialTimeoutMs);
    a.postMessage({ port: ch.port1, mode: 'rtt', count: rttRounds, batch: 1 }, [ch.port1]);
    return (await done).rtts;
  } finally {
    await a.terminate();
    await b.terminate();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runRuntimeBench(): Promise<void> {
  progress('raw MessagePort round trips (two worker threads)');
  const rawRtts = (await rawRtt()).sort((x, y) => x - y);
  const raw = new RawPair();
  const rt = await createThreadsRuntime({
    nodes: [
      { node: 'n1', actors: [{ name: 'blaster', kind: 'blaster' }] },
      { node: 'n2', actors: [{ name: 'sink', kind: 'sink' }] },
    ],
    kindsModule: new URL('./runtime-actors.js', import.meta.url).href,
    threads: 2,
  });
  const rawRates: number[] = [];
  const rtRates: number[] = [];
  let rtRtts: number[] = [];
  try {
    // Trials alternate between the two paths so that both see the same machine noise.
    for (let t = 0; t < trials; t++) {
      rawRates.push(await raw.trial());
      const done = rt.ask('n2/sink', { type: 'Await', count: messagesPerTrial * (t + 1) }, trialTimeoutMs);
      const t0 = performance.now();
      rt.send('n1/blaster', { type: 'Blast', to: 'n2/sink', count: messagesPerTrial });
      await done;
      rtRates.push(messagesPerTrial / ((performance.now() - t0) / 1000));
      progress(`trial ${t + 1}/${trials}: raw ${Math.round(rawRates[t]!).toLocaleString('en-US')} msg/s, runtime ${Math.round(rtRates[t]!).toLocaleString('en-US')} msg/s`);
    }
    progress('actor round trips');
    const r = await rt.ask<{ type: 'RttDone'; rtts: number[] }>('n1/blaster', { type: 'Rtt', to: 'n2/sink', rounds: rttRounds }, trialTimeoutMs);
    rtRtts = [...r.rtts].sort((x, y) => x - y);
  } finally {
    await rt.close();
    await raw.close();
  }
  const rawRate = median(rawRates);
  const rtRate = median(rtRates);

  const us = (ms: number) => ms * 1000;
  printTable(
    'Actor runtime vs raw MessagePort (worker thread to worker thread, same run)',
    ['path', 'msg/s one-way (median)', 'rtt p50 µs', 'rtt p99 µs'],
    [
      ['raw MessagePort (batched 100/post)', rawRate, us(percentile(rawRtts, 50)), us(percentile(rawRtts, 99))],
      ['conclave actors (threads driver)', rtRate, us(percentile(rtRtts, 50)), us(percentile(rtRtts, 99))],
      ['ratio runtime / raw', `${(rtRate / rawRate).toFixed(2)}x`, `${(percentile(rtRtts, 50) / percentile(rawRtts, 50)).toFixed(2)}x`, ''],
    ],
  );
  saveResult('runtime', {
    messagesPerTrial,
    trials,
    rawMsgPerSecTrials: rawRates.map(Math.round),
    runtimeMsgPerSecTrials: rtRates.map(Math.round),
    rawMsgPerSec: Math.round(rawRate),
    runtimeMsgPerSec: Math.round(rtRate),
    throughputRatio: Number((rtRate / rawRate).toFixed(3)),
    rawRttP50Us: Number(us(percentile(rawRtts, 50)).toFixed(1)),
    rawRttP99Us: Number(us(percentile(rawRtts, 99)).toFixed(1)),
    runtimeRttP50Us: Number(us(percentile(rtRtts, 50)).toFixed(1)),
    runtimeRttP99Us: Number(us(percentile(rtRtts, 99)).toFixed(1)),
  });
}
