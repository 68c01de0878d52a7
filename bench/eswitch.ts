/**
 * Switchdev eswitch figures: compiling the policy of 64 VFs on one PF into rules (goal
 * ≤ 250 ms, below what installing them costs), a one-VF change (recompile + diff; goal
 * ≤ 10% of the rules touched), and the sim's TC interpreter against
 * its legacy VEB on the same frames (goal ≥ 0.5 Mpps per path).
 */
import { buildFrame } from '../src/drivers/sim/build.js';
import { ManualClock } from '../src/drivers/sim/clock.js';
import { createSimDriver, type SimDriver } from '../src/drivers/sim/index.js';
import {
  type EswitchMode,
  MainConfig,
  type MainConfigInput,
  VfPolicy,
  type VfPolicyInput,
} from '../src/model/index.js';
import { desiredState } from '../src/policy/desired.js';
import { compileEswitch } from '../src/policy/eswitch/compile.js';
import { diffRules } from '../src/policy/eswitch/diff.js';
import { plan } from '../src/policy/plan.js';
import { fmt, percentile, timeEach } from './_stats.js';

const PF = 'sim:b/0';
const VFS = 64;
const FRAMES = 200_000;
const GATEWAY = '02:ee:00:00:00:01';

function mac(vf: number, k = 0): string {
  return `02:00:00:00:${k.toString(16).padStart(2, '0')}:${vf.toString(16).padStart(2, '0')}`;
}

/** A mix an operator might run: trunks with allow-lists, port VLANs, a shared VLAN, flat VFs. */
export function policy(i: number): VfPolicyInput {
  const base = { name: `vf${i}`, pf: PF, vf: i, macs: [mac(i)] };
  switch (i % 4) {
    case 0:
      return {
        ...base,
        vlans: [100 + i, 2000, 2001],
        stripOuterTag: false,
        macs: [mac(i), mac(i, 1), mac(i, 2)],
      };
    case 1:
      return {
        ...base,
        vlans: [100 + i],
        vlanQoS: 3,
        ...(i % 16 === 1 ? { mirror: { target: `vf${i + 1}`, direction: 'all' as const } } : {}),
      };
    case 2:
      return { ...base, vlans: [2000] };
    default:
      return { ...base, maxTxRate: 1000 };
  }
}

function config(mode: EswitchMode): MainConfigInput {
  return {
    driver: 'sim',
    sim: { nics: [{ name: 'b', ports: 1, totalVfs: VFS, linkSpeedMbps: 100000 }] },
    pfs: [{ pf: PF, numVfs: VFS, eswitchMode: mode }],
  };
}

export function desired(policies: VfPolicyInput[]) {
  const c = MainConfig.parse(config('switchdev'));
  return desiredState(
    c,
    policies.map((p) => VfPolicy.parse(p)),
    new Map(),
    new Map(),
  );
}

async function programmed(mode: EswitchMode): Promise<SimDriver> {
  const c = MainConfig.parse(config(mode));
  const driver = await createSimDriver(
    { config: c, stateDir: '/nonexistent' },
    { clock: new ManualClock() },
  );
  const policies = Array.from({ length: VFS }, (_, i) => VfPolicy.parse(policy(i)));
  const d = desiredState(c, policies, new Map(), new Map());
  for (let round = 0; round < 4; round++) {
    const p = plan(d, await driver.observe());
    if (p.steps.length === 0 && !p.eswitch?.length) break;
    await driver.apply(p);
  }
  return driver;
}

function mpps(n: number, fn: () => void): number {
  for (let i = 0; i < n; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return (n / Number(process.hrtime.bigint() - t0)) * 1e3;
}

async function datapath(): Promise<void> {
  const up = buildFrame({ dst: GATEWAY, src: mac(3), size: 64 });
  const down = buildFrame({ dst: mac(5), src: GATEWAY, tags: [{ vid: 105 }], size: 64 });
  const rates: Record<string, [number, number]> = {};
  for (const mode of ['legacy', 'switchdev'] as const) {
    const nic = (await programmed(mode)).nic;
    const tx = mpps(FRAMES, () => nic.sendFromVf(PF, 3, up));
    const rx = mpps(FRAMES, () => nic.sendFromWire(PF, down));
    if (nic.pf(PF).vf(5).counters[0] < FRAMES)
      throw new Error(`bench eswitch: ${mode} wire → VF delivered nothing`);
    rates[mode] = [tx, rx];
  }
  const line = (what: string, i: number) => {
    const [l, s] = [rates.legacy[i], rates.switchdev[i]];
    console.log(
      `sim switchdev ${what.padEnd(38)} ${fmt(s, 2).padStart(6)} Mpps (goal ≥ 0.50; legacy VEB ${fmt(l, 2)} Mpps, ratio ${fmt(s / l, 2)})`,
    );
  };
  line('VF → wire, 64 B, rate-limited flat VF', 0);
  line('wire → VF, 64 B, port VLAN strip', 1);
}

export async function run(): Promise<void> {
  const policies = Array.from({ length: VFS }, (_, i) => policy(i));
  const d = desired(policies);
  const input = d.eswitch![0];
  const compileUs = timeEach(30, () => compileEswitch(input));
  const rules = compileEswitch(input).rules.length;
  const c = percentile(compileUs, 50) / 1000;
  // Installing the rules costs ~22 µs each over rtnetlink (shared/notes/netlink-facts.md):
  // compiling them must stay well below that.
  console.log(
    `compile ${VFS} VFs on one PF: ${rules} rules in ${fmt(c, 1)} ms = ${fmt((c * 1000) / rules, 1)} µs/rule (goal ≤ 250 ms, below installing them at ~22 µs/rule)`,
  );
  const before = compileEswitch(input);
  const changed = policies.map((x, i) => (i === 5 ? { ...x, vlans: [106 + VFS] } : x));
  const after = desired(changed).eswitch![0];
  const changeUs = timeEach(30, () => diffRules(before.rules, compileEswitch(after)));
  const diff = diffRules(before.rules, compileEswitch(after));
  const touched = diff.add.length + diff.change.length + diff.remove.length;
  console.log(
    `one-VF change (port VLAN of vf5): recompile + diff ${fmt(percentile(changeUs, 50) / 1000, 2)} ms, ${touched} of ${rules} rules touched = ${fmt((100 * touched) / rules, 1)}% (goal ≤ 10%; +${diff.add.length} ~${diff.change.length} -${diff.remove.length})`,
  );
  await datapath();
}
