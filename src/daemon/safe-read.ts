/**
 * Reading a file the daemon did not necessarily write, without letting it hang or flood the
 * daemon: only a regular file is read (a FIFO in `vfs/` used to wedge start-up, reloads and
 * every later PUT; a device could block or never end), up to a size limit. The type is
 * checked on the open descriptor (O_NONBLOCK, so opening a FIFO returns at once), so a file
 * swapped between the check and the read is still caught.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
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

export async function readRegularFile(path: string, limit = MAX_FILE_BYTES): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(
    (err: NodeJS.ErrnoException) => {
      throw new UnreadableFileError(
        `${path} cannot be opened (${err.code ?? 'error'})`,
        err.code === 'EACCES' ? `chmod u+r ${path}` : `check ${path}`,
        err.code,
      );
    },
  );
  try {
    const st = await fh.stat();
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
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
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
    await fh.close();
  }
}
