/**
 * Durable file operations. A write is: temp file in the same directory,
 * write, fsync the file, rename over the target, fsync the directory — so after a power
 * cut the target holds either the old or the new content, never a torn mix, and the rename
 * itself is on disk (zigbee2mqtt lost every device when its fsync hit an empty descriptor).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Temp files carry this marker so a start-up sweep can recognise them. */
export const TEMP_MARKER = '.nvtmp-';

/** Make a directory's entries (creations, renames, removals) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write `data` to `path` durably; the file is created with `mode` (default 0640). */
export async function writeFileDurable(path: string, data: string, mode = 0o640): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_MARKER}${basename(path)}.${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fsyncDir(dir);
}

/** One file of writeFilesDurable: its new content, or null to remove it. */
export interface FileChange {
  path: string;
  data: string | null;
  mode?: number;
}

/** Temp files written at once by writeFilesDurable (the libuv pool has 4 threads). */
const PARALLEL_WRITES = 8;

/**
 * Many files durably at once, for a caller that can redo them after a crash (the journal's
 * compaction: the records stay until this resolves). Every new content goes to its temp
 * file and is fsynced (several at a time), then the renames and removals run in the given
 * order, then each directory is fsynced once: 2 fsyncs per file and one per directory
 * instead of 2 per file each (writeFileDurable). Each target still holds its old or its new
 * content, never a mix; which renames reached the disk before a crash is not ordered.
 */
export async function writeFilesDurable(changes: readonly FileChange[]): Promise<void> {
  const temps: (string | null)[] = changes.map((c) =>
    c.data === null
      ? null
      : join(
          dirname(c.path),
          `${TEMP_MARKER}${basename(c.path)}.${randomBytes(4).toString('hex')}`,
        ),
  );
  /** Temp files created and not yet renamed: removed again when anything fails. */
  const unrenamed = new Set<string>();
  try {
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= changes.length) return;
        const tmp = temps[i];
        const { data, mode } = changes[i];
        if (tmp === null || data === null) continue;
        const fh = await open(tmp, 'wx', mode ?? 0o640);
        unrenamed.add(tmp);
        try {
          await fh.writeFile(data);
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
    };
    // Every worker settles before a failure is handled: a temp file still being opened by
    // another one would be missed by the clean-up and stay behind.
    let failed: unknown = null;
    const stop = (err: unknown) => {
      failed ??= err;
      next = changes.length;
    };
    await Promise.all(Array.from({ length: PARALLEL_WRITES }, () => worker().catch(stop)));
    if (failed !== null) throw failed;
    const dirs = new Set<string>();
    for (let i = 0; i < changes.length; i++) {
      const { path } = changes[i];
      const tmp = temps[i];
      if (tmp !== null) {
        await rename(tmp, path);
        unrenamed.delete(tmp);
      } else {
        try {
          await unlink(path);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          continue;
        }
      }
      dirs.add(dirname(path));
    }
    for (const d of dirs) await fsyncDir(d);
  } catch (err) {
    for (const t of unrenamed) await unlink(t).catch(() => {});
    throw err;
  }
}

/** Remove `path` (absent is fine) and make the removal durable. */
export async function removeFileDurable(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await fsyncDir(dirname(path));
  return true;
}

/**
 * Create `dir` (and missing parents) and make each new entry durable by fsyncing the
 * directory that holds it: a file written durably into a directory whose own creation is
 * lost on power-off is lost with it.
 */
export async function ensureDir(dir: string, mode = 0o750): Promise<void> {
  const made = await mkdir(dir, { recursive: true, mode });
  if (made === undefined) return;
  const first = resolve(made);
  // mkdir returns the first directory it created; fsync its parent and every level below.
  let d = resolve(dir);
  const created: string[] = [];
  while (d.length >= first.length) {
    created.push(d);
    d = dirname(d);
  }
  for (const c of created) await fsyncDir(dirname(c));
}

/**
 * Move leftover temp files (a crash between write and rename) into `DIR/.aside/` so they are
 * never loaded and never silently lost. Returns the moved names for a warning.
 */
export async function sweepTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const temps = names.filter((n) => n.startsWith(TEMP_MARKER));
  if (temps.length === 0) return [];
  const aside = join(dir, '.aside');
  await ensureDir(aside);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const n of temps) await rename(join(dir, n), join(aside, `${n}.${stamp}`));
  // Both directory entries changed: make the move itself survive a power cut.
  await fsyncDir(aside);
  await fsyncDir(dir);
  return temps;
}
