/** A hash of what must not change under a refused request: the store's files and the NIC. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { call, type Target } from './http.js';

async function files(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const p = join(rel, e.name);
    // The audit log records refusals (it should change); everything else must not.
    if (e.name.startsWith('audit.log')) continue;
    if (e.isDirectory()) out.push(...(await files(dir, p)));
    else if (e.isFile()) out.push(`${p}\n${await readFile(join(dir, p), 'utf8')}`);
  }
  return out;
}

/** Files under `root` (the whole temp dir: a traversal would land there) + the NIC as the daemon observes it (settings, mirrors, PFs). */
export async function stateHash(root: string, t: Target): Promise<string> {
  const vfs = (await call(t, 'GET', '/v1/vfs')).body as {
    name: string;
    observed: unknown;
    mirror: unknown;
    policy: unknown;
    guest: unknown;
  }[];
  const pfs = (await call(t, 'GET', '/v1/pfs')).body as Record<string, unknown>[];
  const nic = {
    vfs: vfs.map((v) => [v.name, v.policy, v.guest, v.observed, v.mirror]),
    pfs: pfs.map((p) => [p.id, p.numVfs, p.mtu, p.loopback, p.eswitchMode, p.trafficClasses]),
  };
  return createHash('sha256')
    .update((await files(root)).join('\n'))
    .update(JSON.stringify(nic))
    .digest('hex');
}
