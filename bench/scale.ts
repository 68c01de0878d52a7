/**
 * Scale figures on the sim NIC, 8 PFs × 256 VFs (2048 VFs):
 * - reconcile: the mechanism from a plan to every step acknowledged (observe → plan() →
 *   driver.apply(), again until nothing is left to do), from nothing configured; then the
 *   same pass when already in sync (what a drift check costs);
 * - counters: the CPU an idle in-process daemon spends with `statsIntervalMs` 1000 (reading
 *   the counters of 2048 VFs once a second into its observations, history and metrics),
 *   as a share of one core (goal ≤ 5 %), in this process's CPU time (the machine is shared).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/daemon/logger.js';
import { Daemon } from '../src/daemon/service.js';
import { createDriver } from '../src/drivers/registry.js';
import { MainConfig, VfPolicy } from '../src/model/index.js';
import { desiredState } from '../src/policy/desired.js';
import { plan } from '../src/policy/plan.js';
import { atLeast, atMost, type Bench } from './_report.js';

const PORTS = 8;
const PER_PF = 256;
const ROUNDS = 4;

const hex = (n: number) => n.toString(16).padStart(2, '0');

function configData(stateDir: string, statsIntervalMs: number) {
  return {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: PORTS, totalVfs: PER_PF }], demoTraffic: false },
    daemon: { stateDir, logLevel: 'warn', driftIntervalMs: 600_000, statsIntervalMs },
    pfs: Array.from({ length: PORTS }, (_, p) => ({ pf: `sim:nic0/${p}`, numVfs: PER_PF })),
  };
}

function policyData(p: number, v: number) {
  return {
    name: `vf-${p}-${v}`,
    pf: `sim:nic0/${p}`,
    vf: v,
    vlans: [100 + (v % 32)],
    macs: [`02:00:00:${hex(p)}:${hex(v >> 8)}:${hex(v & 255)}`],
    maxTxRate: 1000,
  };
}

async function reconcile(b: Bench, dir: string): Promise<void> {
  const config = MainConfig.parse(configData(join(dir, 'r'), 1000));
  const policies: VfPolicy[] = [];
  for (let p = 0; p < PORTS; p++)
    for (let v = 0; v < PER_PF; v++) policies.push(VfPolicy.parse(policyData(p, v)));
  const revisions = new Map(policies.map((x) => [x.name, 1]));
  const desired = desiredState(config, policies, new Map(), revisions);
  const driver = await createDriver('sim', { config, stateDir: join(dir, 'driver') });
  try {
    const pass = async () => {
      let steps = 0;
      let failed = 0;
      const t0 = performance.now();
      for (let r = 0; r < ROUNDS; r++) {
        const p = plan(desired, await driver.observe());
        if (p.steps.length === 0) break;
        steps += p.steps.length;
        const res = await driver.apply(p);
        failed += res.outcomes.filter((s) => s.status !== 'done').length;
      }
      return { ms: performance.now() - t0, steps, failed };
    };
    const what = `reconcile ${PORTS} PFs × ${PER_PF} VFs (sim)`;
    const cold = await pass();
    b.figure(
      `${what}, plan → all steps acknowledged, from nothing`,
      cold.ms,
      'ms',
      null,
      `${cold.steps} steps, ${cold.failed} failed`,
    );
    b.figure(`${what}, steps not acknowledged`, cold.failed, 'steps', atMost(0));
    const warm = await pass();
    b.figure(`${what}, in sync: observe + plan`, warm.ms, 'ms', null, `${warm.steps} steps`);
  } finally {
    await driver.stop();
  }
}

async function counters(b: Bench, dir: string): Promise<void> {
  const stateDir = join(dir, 's');
  const configFile = join(dir, 'scale.json');
  await writeFile(configFile, JSON.stringify(configData(stateDir, 1000)));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  for (let p = 0; p < PORTS; p++)
    for (let v = 0; v < PER_PF; v++)
      await writeFile(join(stateDir, 'vfs', `vf-${p}-${v}.json`), JSON.stringify(policyData(p, v)));
  const d = new Daemon({ configFile, log: silentLogger() });
  const t0 = performance.now();
  await d.start();
  const startMs = performance.now() - t0;
  try {
    const h = d.health();
    b.figure(`daemon start, ${h.vfs} sim VFs, to all in sync (in-process)`, startMs, 'ms');
    b.figure(`daemon start, ${h.vfs} sim VFs, in sync`, h.inSync, 'VFs', atLeast(PORTS * PER_PF));
    await new Promise((r) => setTimeout(r, 1500)); // the first reads, then settle
    const secs = 8;
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, secs * 1000));
    const c = process.cpuUsage(c0);
    const wall = (performance.now() - w0) / 1000;
    const share = ((c.user + c.system) / 1e6 / wall) * 100;
    b.figure(
      `daemon idle, counters of ${h.vfs} sim VFs read once a second, CPU`,
      share,
      '% of a core',
      atMost(5),
      `${wall.toFixed(1)} s`,
    );
  } finally {
    await d.stop();
  }
}

export async function run(b: Bench): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-bench-scale-'));
  try {
    await reconcile(b, dir);
    await counters(b, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
