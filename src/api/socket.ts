/**
 * The Unix socket's file: where it may go and how it appears. A socket that answers belongs
 * to a live daemon and is never removed (a second `serve` used to delete it on its way to
 * EADDRINUSE); a stale one is. The socket is created inside a private 0700 directory, given
 * its mode and group there, and only then renamed into place: at its final path it never
 * exists with the process umask's mode (a local user who connected in the window between
 * listen and chmod kept admin rights). Its directory is made reachable by the socket group.
 */

import { chmod, chown, lstat, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';

/** Whether something accepts connections on `path` (false: absent or stale). */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Make way for a new socket at `path`: refuse a live one or a non-socket, remove a stale one. */
export async function clearStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!st) return;
  if (!st.isSocket())
    throw new Error(
      `${path} exists and is not a socket: remove it, or set daemon.socket (or --socket) to another path`,
    );
  if (await socketAnswers(path))
    throw new Error(
      `another daemon is listening on ${path}: stop it first, or set daemon.socket (or --socket) to another path`,
    );
  await rm(path, { force: true });
}

/**
 * The socket's directory: created 0750 (and given to the socket group); an existing one the
 * group cannot enter gets the group and g+x, so 0660 on the socket means what it says.
 */
export async function socketDir(path: string, gid: number | null): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  if (gid === null) return;
  const st = await stat(dir);
  const reachable = (st.mode & 0o001) !== 0 || (st.gid === gid && (st.mode & 0o010) !== 0);
  if (reachable) return;
  await chown(dir, st.uid, gid);
  await chmod(dir, (st.mode & 0o7777) | 0o050);
}

/**
 * Bind through `listen(tmpPath)` in a private directory next to `path`, set mode and
 * group, then rename the socket into place. Returns the socket's inode (stop() removes the
 * path only while it is still this socket).
 */
export async function listenPrivately(
  path: string,
  gid: number | null,
  listen: (tmpPath: string) => Promise<unknown>,
): Promise<number> {
  const priv = await mkdtemp(join(dirname(path), `.${basename(path).slice(0, 8)}-`));
  try {
    const tmp = join(priv, 's');
    await listen(tmp);
    await chmod(tmp, 0o660);
    if (gid !== null) await chown(tmp, process.getuid?.() ?? 0, gid);
    await rename(tmp, path);
    return (await lstat(path)).ino;
  } finally {
    await rm(priv, { recursive: true, force: true });
  }
}

/** Remove the socket at `path` if it is still the one with inode `ino`. */
export async function removeOwnSocket(path: string, ino: number | null): Promise<void> {
  if (ino === null) return;
  const st = await lstat(path).catch(() => null);
  if (st?.isSocket() && st.ino === ino) await rm(path, { force: true });
}
