/** A daemon on the sim NIC with pools, in a temp dir, for the pool tests. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import type { MainConfigInput, PoolInput, VfPolicyInput } from '../../../src/model/index.js';

export const PF0 = 'sim:nic0/0';
export const PF1 = 'sim:nic0/1';

export interface PoolKit {
  dir: string;
  stateDir: string;
  configFile: string;
  daemon: Daemon;
  restart(): Promise<Daemon>;
  cleanup(): Promise<void>;
}

export function poolConfig(
  pools: PoolInput[],
  stateDir: string,
  daemon: Record<string, unknown> = {},
): MainConfigInput {
  return {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 2, totalVfs: 16, linkSpeedMbps: 25000 }] },
    daemon: {
      stateDir,
      socket: join(stateDir, 'sock'),
      driftIntervalMs: 100_000,
      statsIntervalMs: 100_000,
      poolSweepIntervalMs: 100_000,
      poolLeakGraceMs: 0,
      ...daemon,
    },
    pfs: [
      { pf: PF0, numVfs: 4 },
      { pf: PF1, numVfs: 4 },
    ],
    pools,
  };
}

export const defaultPools: PoolInput[] = [
  {
    name: 'net1',
    pfs: [PF0, { pf: PF1, numaNode: 1 }],
    numaNode: 0,
    physicalNetwork: 'physnet1',
    profile: {
      vlans: [100],
      mac: { mode: 'range', from: '02:00:00:00:01:00', to: '02:00:00:00:01:ff' },
    },
  },
];

export async function startPoolKit(
  opts: { pools?: PoolInput[]; vfs?: VfPolicyInput[]; daemon?: Record<string, unknown> } = {},
): Promise<PoolKit> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-pools-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  await writeFile(
    configFile,
    JSON.stringify(poolConfig(opts.pools ?? defaultPools, stateDir, opts.daemon)),
  );
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  for (const p of opts.vfs ?? [])
    await writeFile(join(stateDir, 'vfs', `${p.name}.json`), JSON.stringify(p));
  const make = () => new Daemon({ configFile, log: silentLogger(), lockTimeoutMs: 5000 });
  const k: PoolKit = {
    dir,
    stateDir,
    configFile,
    daemon: make(),
    async restart() {
      await k.daemon.stop();
      k.daemon = make();
      await k.daemon.start();
      return k.daemon;
    },
    async cleanup() {
      await k.daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await k.daemon.start();
  return k;
}
