/**
 * Whether root may trust a file: the checks sshd's StrictModes and sudo make before they
 * read a file or run a program as root. A file (and every directory above it) must be owned
 * by root or by the daemon's own user and must not be writable by anyone else: otherwise
 * another local user can swap its contents (or, through the directory, the file itself)
 * and have the daemon load or run what they wrote. Each refusal names the path and the
 * command that fixes it.
 */
import { constants, lstatSync, realpathSync, type Stats, statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

/** Directories anyone can write to; nothing root runs may live below them. */
const SCRATCH_DIRS = ['/tmp', '/var/tmp', '/dev/shm'];

export interface Distrust {
  path: string;
  what: string;
  fix: string;
}

function trustedOwner(st: Stats, uid: number): boolean {
  return st.uid === 0 || st.uid === uid;
}

/** World-writable, or group-writable by a group other than root's. */
function writableByOthers(st: Stats): boolean {
  return (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && st.gid !== 0);
}

function octal(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

/** The owner and mode problems of one path (already stat()ed), or null. */
function modeProblem(path: string, st: Stats, uid: number, kind: string): Distrust | null {
  if (!trustedOwner(st, uid))
    return {
      path,
      what: `${kind} ${path} is owned by uid ${st.uid}, not by root or the daemon's user (uid ${uid})`,
      fix: `chown root ${path}`,
    };
  if (writableByOthers(st))
    return {
      path,
      what: `${kind} ${path} is writable by other users (mode ${octal(st)})`,
      fix: `chmod go-w ${path}`,
    };
  return null;
}

/** Every directory from `/` down to the parent of `path`. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    out.unshift(d);
    if (d === dirname(d)) break;
  }
  return out;
}

/** The first directory above `path` (resolved) that others can write to, or null. */
async function unsafeAncestor(path: string, uid: number): Promise<Distrust | null> {
  for (const d of ancestors(path)) {
    if (SCRATCH_DIRS.some((s) => d === s || d.startsWith(`${s}${sep}`)))
      return {
        path: d,
        what: `${path} lies under ${d}, a directory every user can write to`,
        fix: `move ${path} to a root-owned directory such as /usr/local/libexec/nicvisor`,
      };
    const p = modeProblem(d, await stat(d), uid, 'directory');
    if (p) return { ...p, what: `${p.what}, so the file ${path} below it can be replaced` };
  }
  return null;
}

/**
 * Why a hook program must not be run as root, or null when it may. `argv0` must be absolute
 * (checked by the policy); symlinks are followed and the real file is what is judged.
 */
export async function distrustProgram(
  argv0: string,
  uid = process.getuid?.() ?? 0,
): Promise<Distrust | null> {
  if (!isAbsolute(argv0))
    return { path: argv0, what: `${argv0} is not an absolute path`, fix: 'give the full path' };
  let real: string;
  try {
    real = await realpath(argv0);
  } catch (err) {
    return {
      path: argv0,
      what: `${argv0} cannot be resolved (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      fix: `install the program at ${argv0} or correct the path`,
    };
  }
  const st = await stat(real);
  if (!st.isFile())
    return { path: real, what: `${real} is not a regular file`, fix: 'name a program file' };
  if ((st.mode & 0o111) === 0)
    return { path: real, what: `${real} is not executable`, fix: `chmod 755 ${real}` };
  return modeProblem(real, st, uid, 'program') ?? (await unsafeAncestor(real, uid));
}

export interface FileCheck {
  /** What the file is, for the message: `VF policy file`, `main config`. */
  kind: string;
  /** Symlinks must resolve inside this directory (the state dir); null: none allowed out. */
  within?: string;
}

/**
 * Why a configuration file must not be loaded, or null when it may: a symlink that leads
 * out of `within`, a file that is not regular, a foreign owner, writable by other users.
 * The file's directory chain is not judged here (the caller checks its directories once).
 * Synchronous, like safe-read.ts and for its reason: it runs once per policy file.
 */
export function distrustFile(
  path: string,
  check: FileCheck,
  uid = process.getuid?.() ?? 0,
): Distrust | null {
  const l = lstatSync(path);
  if (l.isSymbolicLink()) {
    let real: string | null = null;
    try {
      real = realpathSync(path);
    } catch {}
    const within = check.within ? resolve(check.within) : null;
    if (!real || !within || !(real === within || real.startsWith(`${within}${sep}`)))
      return {
        path,
        what: `${check.kind} ${path} is a symlink to ${real ?? 'a missing file'}, outside ${within ?? 'its directory'}`,
        fix: `replace the symlink with a copy of the file: cp --remove-destination "$(readlink -f ${path})" ${path}`,
      };
  }
  const st = l.isSymbolicLink() ? statSync(path) : l;
  if (!st.isFile())
    return { path, what: `${check.kind} ${path} is ${kindOf(st)}`, fix: fixOf(st, path) };
  return modeProblem(path, st, uid, check.kind);
}

/** Why a directory the daemon reads configuration from must not be trusted, or null. */
export function distrustDir(
  path: string,
  kind: string,
  uid = process.getuid?.() ?? 0,
): Distrust | null {
  const st = statSync(path);
  if (!st.isDirectory())
    return { path, what: `${kind} ${path} is ${kindOf(st)}`, fix: fixOf(st, path) };
  return modeProblem(path, st, uid, kind);
}

/** `a FIFO`, `a directory`, … — what a non-regular file is. */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory, not a regular file';
  if (st.isFIFO()) return 'a FIFO, not a regular file';
  if (st.isSocket()) return 'a socket, not a regular file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device, not a regular file';
  if (st.isFile()) return 'a regular file, not a directory';
  return 'not a regular file';
}

function fixOf(st: Stats, path: string): string {
  return st.isDirectory()
    ? `rmdir ${path} (or move it out of the way)`
    : `rm ${path} and write a policy file there`;
}

/** `O_NOFOLLOW | O_NONBLOCK`: opening a FIFO or a symlink never blocks or follows. */
export const SAFE_OPEN = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;
