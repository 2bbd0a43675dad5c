/** Issue 15's real-client runs, shared by the embedded-cluster tests and the 3-process ensemble tests. */
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { clientsDir, debianPython, problemsOf, runCheckProgram } from './client-programs.js';

const kazooRunMs = 60_000;

/** Runs one section of kazoo_parity.py against `hosts` (and its extra arguments) and asserts its checks all passed. */
export async function kazooParity(
  section: string,
  hosts: string,
  root: string,
  expected: readonly string[],
  extra: readonly string[] = [],
  onKill?: (sessionHex: string) => Promise<void>,
): Promise<void> {
  const run = await runCheckProgram(debianPython, [join(clientsDir(), 'kazoo_parity.py'), section, hosts, root, ...extra], { timeoutMs: kazooRunMs, ...(onKill !== undefined ? { onKill } : {}) });
  for (const line of run.output.split('\n')) if (line.startsWith('NOTE ')) console.log(`  kazoo ${section}: ${line.slice(5)}`);
  const problems = problemsOf(run, expected);
  assert.ok(problems === undefined, problems);
}

export const dataAclChecks = ['create-null', 'create-empty', 'set-null', 'set-empty-after-null', 'create-dup-acl', 'setacl-dup-acl'];
export const passwordChecks = ['raw-wrong-password-expired', 'kazoo-wrong-password-new-session', 'owner-keeps-session', 'raw-right-password-moves', 'kazoo-right-password-moves'];
/** The session-id section's checks for members with these server ids. */
export const sessionIdChecks = (serverIds: readonly number[]): string[] => serverIds.flatMap((id) => [`high-byte-${id}`, `ephemeral-owner-${id}`, `resume-${id}`]);
export const restartChecks = ['disconnected', 'restarted', 'queued-request-answered', 'back-within-5s', 'same-session', 'ephemeral-kept'];
