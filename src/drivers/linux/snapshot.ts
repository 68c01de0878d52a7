import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KernelState } from './settings.js';

/** A VF's settings before nicvisor first changed it (sriov-cni PR #417: restore from this). */
export interface VfSnapshot {
  pf: string;
  vf: number;
  takenAt: string;
  settings: KernelState;
}

function isSnapshot(s: unknown): s is VfSnapshot {
  const o = s as Partial<VfSnapshot> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.pf === 'string' &&
    Number.isInteger(o.vf) &&
    typeof o.takenAt === 'string' &&
    typeof o.settings === 'object' &&
    o.settings !== null
  );
}

function fileName(pf: string, vf: number): string {
  return `${pf.replace(/[^A-Za-z0-9._-]/g, '_')}-vf${vf}.json`;
}

/** Temp files written and fsynced at once by writeDurably (the libuv pool has 4 threads). */
const PARALLEL_WRITES = 8;

/**
 * Durable writes of many files in one directory: each to a temp file that is fsynced
 * (several at a time), then the renames, then one fsync of the directory — so a power cut
 * leaves each file old or new, and a take-over of 2048 VFs costs one fsync per file, 8 at a
 * time, plus one, where each file alone took two, one file after another. A temp file a
 * crash (or a failed rename) leaves behind is swept by load(). (daemon/fsutil.ts has the
 * general form; drivers do not import the daemon.)
 */
async function writeDurably(dir: string, files: Array<{ name: string; data: string }>) {
  const tmp = (name: string) => join(dir, `.${name}.tmp`);
  /** Temp files this call created: removed again when any write fails. */
  const created: string[] = [];
  let next = 0;
  const worker = async () => {
    try {
      for (let i = next++; i < files.length; i = next++) {
        const fh = await open(tmp(files[i].name), 'w', 0o600);
        created.push(tmp(files[i].name));
        try {
          await fh.writeFile(files[i].data);
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
    } catch (err) {
      next = files.length; // the other workers start no new file
      throw err;
    }
  };
  const workers = Math.min(PARALLEL_WRITES, files.length);
  // Every worker settles before the first failure is thrown (no write left running).
  const settled = await Promise.allSettled(Array.from({ length: workers }, worker));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(created.map((t) => rm(t, { force: true })));
    throw failed.reason;
  }
  for (const f of files) await rename(tmp(f.name), join(dir, f.name));
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Snapshots as JSON files under STATEDIR/linux-snapshots, kept in memory once loaded. */
export class SnapshotStore {
  private readonly byKey = new Map<string, VfSnapshot>();
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'linux-snapshots');
  }

  /**
   * Reads every snapshot. A temp file left by a crash mid-save is removed (its VF was not
   * changed yet: the change waits for the save). A snapshot that is not one refuses the
   * start, naming the file, rather than be dropped: it is the only record of what the VF held
   * before nicvisor.
   */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.byKey.clear();
    const bad: string[] = [];
    for (const f of await readdir(this.dir)) {
      const path = join(this.dir, f);
      if (f.startsWith('.') && f.endsWith('.json.tmp')) {
        await rm(path, { force: true });
        continue;
      }
      if (!f.endsWith('.json')) continue;
      let s: VfSnapshot;
      try {
        s = JSON.parse(await readFile(path, 'utf8')) as VfSnapshot;
      } catch (err) {
        bad.push(`${path}: ${(err as Error).message}`);
        continue;
      }
      if (!isSnapshot(s)) {
        bad.push(`${path}: not a VF snapshot (needs pf, vf, takenAt and settings)`);
        continue;
      }
      this.byKey.set(fileName(s.pf, s.vf), s);
    }
    if (bad.length > 0)
      throw new Error(
        `unreadable VF snapshots (what each VF held before nicvisor, restored on release): ${bad.join('; ')}; fix: repair the file, or remove it to give up restoring that VF`,
      );
  }

  get(pf: string, vf: number): VfSnapshot | undefined {
    return this.byKey.get(fileName(pf, vf));
  }

  async save(s: VfSnapshot): Promise<void> {
    await this.saveAll([s]);
  }

  /** Saves these snapshots durably in one batch; none is known in memory before all are. */
  async saveAll(snaps: VfSnapshot[]): Promise<void> {
    const byName = new Map(snaps.map((s) => [fileName(s.pf, s.vf), s]));
    if (byName.size === 0) return;
    const files = [...byName].map(([name, s]) => ({
      name,
      data: `${JSON.stringify(s, null, 2)}\n`,
    }));
    await writeDurably(this.dir, files);
    for (const [name, s] of byName) this.byKey.set(name, s);
  }

  async remove(pf: string, vf: number): Promise<void> {
    const name = fileName(pf, vf);
    await rm(join(this.dir, name), { force: true });
    this.byKey.delete(name);
  }
}
