/** ZooKeeper client wire protocol (jute) codec: primitives, records, messages, framing, four-letter words. */
export * from './bytes.js';
export * from './constants.js';
export * from './records.js';
export * from './messages.js';
export * from './framing.js';
export * from './fourletter.js';
