import { access, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VfPolicy } from '../model/index.js';
import { demoPolicies } from './demo.js';
import { ensureDir, writeFileDurable } from './fsutil.js';
import { type Layout, vfFile } from './layout.js';
import type { Logger } from './logger.js';

/**
 * First run of the demo: write its VF policies into the state dir, once. A marker keeps a
 * later run from re-adding policies the user deleted.
 */
export async function seedDemo(l: Layout, log: Logger): Promise<void> {
  const marker = join(l.stateDir, '.demo-seeded');
  try {
    await access(marker);
    return;
  } catch {
    // not seeded yet
  }
  await ensureDir(l.vfsDir);
  const existing = (await readdir(l.vfsDir)).filter((f) => f.endsWith('.json'));
  if (existing.length === 0) {
    for (const p of demoPolicies()) {
      const policy = VfPolicy.parse(p);
      await writeFileDurable(vfFile(l.vfsDir, policy.name), `${JSON.stringify(policy, null, 2)}\n`);
    }
    log.info({ dir: l.vfsDir, vfs: demoPolicies().length }, 'demo: wrote the demo VF policies');
  }
  await writeFile(marker, `${new Date().toISOString()}\n`);
}
