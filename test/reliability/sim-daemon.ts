/** An in-process daemon over a (wrappable) sim driver, on a temp directory. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/daemon/logger.js';
import { Daemon } from '../../src/daemon/service.js';
import type { NicDriver } from '../../src/drivers/driver.js';
import { createDriver } from '../../src/drivers/registry.js';
import { MainConfig, type VfPolicyInput } from '../../src/model/index.js';

export const SPF0 = 'sim:nic0/0';
export const SPF1 = 'sim:nic0/1';

export interface SimDaemon {
  dir: string;
  stateDir: string;
  configFile: string;
  daemon: Daemon;
  inner: NicDriver;
  cleanup(): Promise<void>;
}

export async function simDaemon(
  vfs: VfPolicyInput[],
  daemon: Record<string, unknown> = {},
  wrap: (d: NicDriver) => NicDriver = (d) => d,
): Promise<SimDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-simd-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  const config = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 2, totalVfs: 16 }], demoTraffic: false },
    daemon: { stateDir, driftIntervalMs: 100_000, statsIntervalMs: 100_000, ...daemon },
    pfs: [
      { pf: SPF0, numVfs: 8 },
      { pf: SPF1, numVfs: 8 },
    ],
  };
  await writeFile(configFile, JSON.stringify(config));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  for (const p of vfs) await writeFile(join(stateDir, 'vfs', `${p.name}.json`), JSON.stringify(p));
  const inner = await createDriver('sim', {
    config: MainConfig.parse(config),
    stateDir: join(stateDir, 'driver'),
  });
  await inner.start();
  const d = new Daemon({
    configFile,
    driver: wrap(inner),
    log: silentLogger(),
    lockTimeoutMs: 5000,
  });
  await d.start();
  return {
    dir,
    stateDir,
    configFile,
    daemon: d,
    inner,
    async cleanup() {
      await d.stop();
      await inner.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function until(fn: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
