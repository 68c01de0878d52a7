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

function fileName(pf: string, vf: number): string {
  return `${pf.replace(/[^A-Za-z0-9._-]/g, '_')}-vf${vf}.json`;
}

/** Durable write: temp file, fsync, rename, fsync the directory (a power cut leaves old or new). */
async function writeDurably(dir: string, name: string, data: string): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
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

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.byKey.clear();
    for (const f of await readdir(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const s = JSON.parse(await readFile(join(this.dir, f), 'utf8')) as VfSnapshot;
      this.byKey.set(fileName(s.pf, s.vf), s);
    }
  }

  get(pf: string, vf: number): VfSnapshot | undefined {
    return this.byKey.get(fileName(pf, vf));
  }

  async save(s: VfSnapshot): Promise<void> {
    const name = fileName(s.pf, s.vf);
    await writeDurably(this.dir, name, `${JSON.stringify(s, null, 2)}\n`);
    this.byKey.set(name, s);
  }

  async remove(pf: string, vf: number): Promise<void> {
    const name = fileName(pf, vf);
    await rm(join(this.dir, name), { force: true });
    this.byKey.delete(name);
  }
}
