/**
 * One daemon per state directory: an exclusive flock(2) on `STATE/.lock`, taken before the
 * store sweeps or anything reconciles, held for the daemon's life. A second daemon on the
 * same directory stops at once, naming the holder, instead of sweeping, reconciling and
 * taking the socket (a split brain).
 *
 * Why flock through koffi (already a dependency for netlink) rather than a lock package:
 * the kernel drops a flock the moment its holder dies, even by SIGKILL, so there is never a
 * stale lock to guess about. proper-lockfile (mkdir + mtime) needs a staleness timeout that
 * is either too short (two live daemons) or too long (a restart refused after a crash), and
 * fs-ext needs a native build.
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import koffi from 'koffi';

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;

type Flock = (fd: number, op: number) => number;
let flockFn: Flock | null = null;

function flock(): Flock {
  flockFn ??= koffi.load('libc.so.6').func('int flock(int, int)') as Flock;
  return flockFn;
}

export class StateDirBusyError extends Error {
  constructor(dir: string, holder: string) {
    super(
      `state directory ${dir} is in use by another nicvisor daemon${holder ? ` (pid ${holder})` : ''}: stop that daemon first, or give this one its own daemon.stateDir`,
    );
    this.name = 'StateDirBusyError';
  }
}

export class StateLock {
  private fh: FileHandle | null = null;
  readonly file: string;
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = stateDir;
    this.file = join(stateDir, '.lock');
  }

  /** Take the lock or throw StateDirBusyError; the directory must exist. */
  async acquire(): Promise<void> {
    const fh = await open(
      this.file,
      constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW,
      0o600,
    );
    if (flock()(fh.fd, LOCK_EX | LOCK_NB) !== 0) {
      const errno = koffi.errno();
      const holder = (await fh.readFile('utf8').catch(() => '')).trim();
      await fh.close();
      if (errno === EWOULDBLOCK) throw new StateDirBusyError(this.dir, holder);
      throw new Error(`cannot lock ${this.file}: flock failed with errno ${errno}`);
    }
    // The holder's pid, for the message a second daemon prints (the lock itself is the flock).
    await fh.truncate(0);
    await fh.write(`${process.pid}\n`, 0);
    this.fh = fh;
  }

  /** Give the lock up (closing the descriptor drops the flock). */
  async release(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}
