/**
 * Where the daemon keeps things. Every path is built here from a validated VF name, never
 * from a path a request supplies (VFd opened whatever path a request named).
 */
import { join } from 'node:path';
import { isVfName, vfNameProblem } from '../model/index.js';

export interface Layout {
  /** The main config file (read-only for the daemon). */
  configFile: string | null;
  stateDir: string;
  /** One JSON file per VF policy. */
  vfsDir: string;
  /** One JSON file per VF with what its guest changed. */
  guestDir: string;
  /** Revision and content hash per VF. */
  revisionsFile: string;
  /** Hashes of the guest credentials. */
  credentialsFile: string;
  /** The last committed configuration (main + every VF policy), started from when files are refused. */
  committedFile: string;
  /** Driver state (snapshots). */
  driverDir: string;
  /** The write-ahead journal of acknowledged changes not yet compacted into the files. */
  journalDir: string;
}

export function layout(configFile: string | null, stateDir: string): Layout {
  return {
    configFile,
    stateDir,
    vfsDir: join(stateDir, 'vfs'),
    guestDir: join(stateDir, 'guest'),
    revisionsFile: join(stateDir, 'revisions.json'),
    credentialsFile: join(stateDir, 'credentials.json'),
    committedFile: join(stateDir, 'committed.json'),
    driverDir: join(stateDir, 'driver'),
    journalDir: join(stateDir, 'journal'),
  };
}

/** Path of a VF's file in `dir`; throws for a name that could leave the directory. */
export function vfFile(dir: string, name: string): string {
  if (!isVfName(name)) throw new Error(vfNameProblem(dir, name).message);
  return join(dir, `${name}.json`);
}
