/**
 * Whose files a data directory holds, checked before a `conclave node` touches them: `<dir>/identity` names the
 * server that wrote them (`conclave data directory v1`, `server=N`). A directory that belongs to another server id,
 * holds files conclave did not write, or whose small files are damaged is refused with one line saying so, and
 * nothing in it is changed. A fresh directory gets its identity file; one written before identity files existed
 * (only conclave's own names in it) is adopted.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitFile, epochsFile, logDir, parseEpochs, snapDir } from './storage.js';

export const identityFile = 'identity';
const identityHeader = 'conclave data directory v1';
/** Bytes of the identity file read at most. */
const identityBytesMax = 4096;
/** What conclave writes in a data directory (`.tmp`: an atomic write a crash interrupted). */
const ownNames = new Set([identityFile, epochsFile, commitFile, logDir, snapDir, `${epochsFile}.tmp`, `${commitFile}.tmp`]);
/** Names listed in a refusal at most. */
const namesShownMax = 5;

export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

/** Check `dir` (created if missing) for server `serverId`; throws DataDirError, writing nothing, if it is not ours. */
export function claimDataDir(dir: string, serverId: number): void {
  const idPath = join(dir, identityFile);
  const refuse = (why: string): never => {
    throw new DataDirError(`${dir}: ${why}; nothing was changed (move it aside or point dataDir elsewhere)`);
  };
  if (existsSync(idPath)) {
    const text = readFileSync(idPath).subarray(0, identityBytesMax).toString('utf8');
    const m = new RegExp(`^${identityHeader}\\nserver=(\\d+)\\n$`).exec(text);
    if (m === null) refuse(`${identityFile} is damaged or not conclave's`);
    if (Number(m![1]) !== serverId) refuse(`holds the data of server.${m![1]}, not of server.${serverId} (this server's myid)`);
  } else {
    const strangers = readdirSync(dir).filter((n) => !ownNames.has(n));
    if (strangers.length > 0) refuse(`not a conclave data directory: it holds ${strangers.slice(0, namesShownMax).join(', ')}${strangers.length > namesShownMax ? ', ...' : ''}`);
  }
  const epochs = join(dir, epochsFile);
  try {
    parseEpochs(existsSync(epochs) ? readFileSync(epochs) : null);
  } catch {
    refuse(`${epochsFile} is damaged`);
  }
  const commit = join(dir, commitFile);
  if (existsSync(commit) && !/^\d+\s*$/.test(readFileSync(commit, 'utf8'))) refuse(`${commitFile} is damaged`);
  if (!existsSync(idPath)) writeFileSync(idPath, `${identityHeader}\nserver=${serverId}\n`);
}
