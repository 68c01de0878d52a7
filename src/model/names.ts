import { z } from 'zod';
import type { Problem } from './problem.js';

/**
 * The VF-name rule, in one place: a VF's name becomes a file name (`vfs/NAME.json`,
 * `guest/NAME.json`), so it is a plain file-name component that can never leave its
 * directory or hide (no path separator, no leading dot, so never `.` or `..`).
 */
export const VF_NAME_RE = /^(?!\.)[A-Za-z0-9._-]{1,64}$/;
export const VF_NAME_ALLOWED = '1-64 characters of A-Z a-z 0-9 . _ -, not starting with a dot';

export function isVfName(name: unknown): name is string {
  return typeof name === 'string' && VF_NAME_RE.test(name);
}

/** A VF name in an API body (`delete` lists, mirror targets are checked by the rules). */
export const VfName = z.string().regex(VF_NAME_RE, `a VF name: ${VF_NAME_ALLOWED}`);

/** The problem of a bad VF name found in `file` (a path, a URL or an API object). */
export function vfNameProblem(file: string, name: unknown): Problem {
  const shown = typeof name === 'string' && name.length > 80 ? `${name.slice(0, 80)}…` : name;
  return {
    file,
    field: 'name',
    value: name,
    allowed: VF_NAME_ALLOWED,
    fix: 'rename the VF policy, e.g. "web-1"',
    message:
      typeof name === 'string'
        ? `VF name ${JSON.stringify(shown)} is not allowed: use ${VF_NAME_ALLOWED}`
        : 'the policy has no string "name"',
  };
}
