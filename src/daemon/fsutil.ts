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
