/**
 * Where the daemon keeps things. Every path is built here from a validated VF name, never
 * from a path a request supplies (issue 7: VFd followed any path a request named).
 */
import { join } from 'node:path';
import { VF_NAME_RE } from '../model/index.js';

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
  /** Driver state (snapshots). */
  driverDir: string;
}

export function layout(configFile: string | null, stateDir: string): Layout {
  return {
    configFile,
    stateDir,
    vfsDir: join(stateDir, 'vfs'),
    guestDir: join(stateDir, 'guest'),
    revisionsFile: join(stateDir, 'revisions.json'),
    credentialsFile: join(stateDir, 'credentials.json'),
    driverDir: join(stateDir, 'driver'),
  };
}

/** True when `name` is a legal VF name: a plain file-name component, never `.` or `..`. */
export function isSafeVfName(name: string): boolean {
  return VF_NAME_RE.test(name) && name !== '.' && name !== '..' && !name.startsWith('.');
}

export function vfNameProblemText(name: string): string {
  return `VF name ${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)} is not allowed: use 1-64 characters of A-Z a-z 0-9 . _ - not starting with a dot`;
}

/** Path of a VF's file in `dir`; throws for a name that could leave the directory. */
export function vfFile(dir: string, name: string): string {
  if (!isSafeVfName(name)) throw new Error(vfNameProblemText(name));
  return join(dir, `${name}.json`);
}
