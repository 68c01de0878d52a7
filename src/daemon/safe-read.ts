/**
 * Reading a file the daemon did not necessarily write, without letting it hang or flood the
 * daemon: only a regular file is read (a FIFO in `vfs/` used to wedge start-up, reloads and
 * every later PUT; a device could block or never end), up to a size limit. The type is
 * checked on the open descriptor (O_NONBLOCK, so opening a FIFO returns at once), so a file
 * swapped between the check and the read is still caught.
 *
 * The calls are synchronous on purpose. A policy or guest file is a few hundred bytes on a
 * local disk, and the async API sends each of open, fstat, read and close through libuv's
 * thread pool: reading the 512 files of an 8×64 host took 100-470 ms that way on this
 * project's 2-core machine against 9-14 ms with the sync calls (a start or reload holds the
 * event loop for about that long, less than the async version spent in CPU).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { kindOf } from './trust.js';

/** VF policy and guest state files are a few hundred bytes; 1 MiB is generous. */
export const MAX_FILE_BYTES = 1024 * 1024;

export class UnreadableFileError extends Error {
  readonly fix: string;
  /** The errno code when opening failed (`ENOENT`, `EACCES`). */
  readonly code: string | undefined;
  constructor(message: string, fix: string, code?: string) {
    super(message);
    this.name = 'UnreadableFileError';
    this.fix = fix;
    this.code = code;
  }
}

export function readRegularFile(path: string, limit = MAX_FILE_BYTES): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UnreadableFileError(
      `${path} cannot be opened (${err.code ?? 'error'})`,
      err.code === 'EACCES' ? `chmod u+r ${path}` : `check ${path}`,
      err.code,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new UnreadableFileError(
        `${path} is ${kindOf(st)}`,
        st.isDirectory() ? `rmdir ${path} (or move it out of the way)` : `rm ${path}`,
      );
    if (st.size > limit)
      throw new UnreadableFileError(
        `${path} is ${st.size} bytes, more than the ${limit} bytes a policy file may have`,
        `shrink ${path} or move it out of the directory`,
      );
    // One byte more than the size: a file that grows while it is read is caught too.
    const buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length)
        throw new UnreadableFileError(
          `${path} grew while it was read`,
          `stop whatever writes ${path}, then reload`,
        );
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
