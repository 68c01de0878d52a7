/** Temp state dirs and an in-process daemon over the fake driver, for daemon tests. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/daemon/logger.js';
import { Daemon } from '../../src/daemon/service.js';
import { decodeRecords } from '../../src/daemon/store/journal-format.js';
import type { MainConfigInput, VfPolicyInput } from '../../src/model/index.js';
import { FakeDriver } from '../fakes/fake-driver.js';

export const PF0 = 'fake:0';
export const PF1 = 'fake:1';

export interface Harness {
  dir: string;
  configFile: string;
  stateDir: string;
  fake: FakeDriver;
  daemon: Daemon;
  /** Start a new daemon on the same files and the same (still configured) NIC. */
  restart(): Promise<Daemon>;
  cleanup(): Promise<void>;
}

export function mainConfig(extra: Partial<MainConfigInput['daemon']> = {}): MainConfigInput {
  return {
    driver: 'sim',
    daemon: {
      driftIntervalMs: 100_000,
      statsIntervalMs: 100_000,
      guestRequestsPerSecond: 1000,
      guestRequestBurst: 1000,
      ...extra,
    },
    pfs: [
      { pf: PF0, numVfs: 8 },
      { pf: PF1, numVfs: 4 },
    ],
  };
}

export const policies: VfPolicyInput[] = [
  { name: 'web-1', pf: PF0, vf: 0, vlans: [100], macs: ['02:00:00:00:00:01'], guestMacs: 1 },
  { name: 'web-2', pf: PF0, vf: 1, vlans: [100, 200], macs: ['02:00:00:00:00:02'] },
  { name: 'db-1', pf: PF1, vf: 0, untagged: true, macs: ['02:00:00:00:00:03'], maxTxRate: 1000 },
];

export async function startHarness(
  opts: {
    daemon?: Partial<MainConfigInput['daemon']>;
    vfs?: VfPolicyInput[];
    /** Where the state lives (default: `state` beside the config). */
    stateDir?: string;
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-test-'));
  const stateDir = opts.stateDir ?? join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  await writeFile(
    configFile,
    JSON.stringify({
      ...mainConfig(opts.daemon),
      daemon: { ...mainConfig(opts.daemon).daemon, stateDir },
    }),
  );
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  for (const p of opts.vfs ?? policies)
    await writeFile(join(stateDir, 'vfs', `${p.name}.json`), JSON.stringify(p));
  const fake = new FakeDriver([PF0, PF1]);
  const make = () =>
    new Daemon({ configFile, driver: fake, log: silentLogger(), lockTimeoutMs: 2000 });
  const h: Harness = {
    dir,
    configFile,
    stateDir,
    fake,
    daemon: make(),
    async restart() {
      await h.daemon.stop();
      h.daemon = make();
      await h.daemon.start();
      return h.daemon;
    },
    async cleanup() {
      await h.daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await h.daemon.start();
  return h;
}

/** Every file under the state dir's vfs/ and guest/ with its content (to prove "untouched"). */
export async function snapshotFiles(stateDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const sub of ['vfs', 'guest']) {
    let names: string[] = [];
    try {
      names = await readdir(join(stateDir, sub));
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue;
      out[`${sub}/${n}`] = await readFile(join(stateDir, sub, n), 'utf8');
    }
  }
  return out;
}

/**
 * The VF and guest files as a restart would find them: the files with the journal's
 * durable records replayed over them (what an acknowledged change must already be in).
 */
export async function durableFiles(stateDir: string): Promise<Record<string, string>> {
  const out = await snapshotFiles(stateDir);
  const dir = join(stateDir, 'journal');
  const segs = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.log'));
  for (const n of segs.sort()) {
    const { records } = decodeRecords(await readFile(join(dir, n)));
    for (const { batch } of records) {
      const subs = [
        ['vfs', batch.policies],
        ['guest', batch.guests],
      ] as const;
      for (const [sub, files] of subs)
        for (const [name, v] of files) {
          if (v === null) delete out[`${sub}/${name}.json`];
          else out[`${sub}/${name}.json`] = `${JSON.stringify(v, null, 2)}\n`;
        }
    }
  }
  return out;
}

/** Poll until `fn` returns true (or fail after `ms`). */
export async function until(
  fn: () => boolean | Promise<boolean>,
  ms = 3000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
