/**
 * What the agent last read from the fleet, kept in the state dir (`fleet.json`, written
 * durably): the revision and the raw documents. The agent starts from it when the fleet
 * store is unreachable (the VF policies themselves are already in the local store, the PF
 * policies come from here), and watches from its revision when the store is back.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileDurable } from '../fsutil.js';

const LocalState = z.object({
  host: z.string(),
  revision: z.number(),
  docs: z.record(z.string(), z.string()),
});
export type LocalState = z.infer<typeof LocalState>;

export const localFile = (stateDir: string) => join(stateDir, 'fleet.json');

/** The saved state (null: none yet, or written by another host name: not ours). */
export async function loadLocal(stateDir: string, host: string): Promise<LocalState | null> {
  let text: string;
  try {
    text = await readFile(localFile(stateDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const s = LocalState.parse(JSON.parse(text));
    return s.host === host ? s : null;
  } catch {
    // A torn or foreign file: a full read from the fleet store replaces it.
    return null;
  }
}

export function saveLocal(stateDir: string, s: LocalState): Promise<void> {
  return writeFileDurable(localFile(stateDir), JSON.stringify(s));
}
