/**
 * Switchdev rules through the kernel (linux driver, TC flower), measured inside the lab VM
 * on 64 dummy representors and a dummy uplink with software TC (`skip_hw`; the host kernel
 * here has no cls_flower, and no NIC offloads in the VM):
 *  1. compile + apply the policy of 64 VFs on one PF through one `tc -batch` (ms, rules),
 *     against one `tc` process per rule (measured on a sample of rules, scaled to all of
 *     them: a full run would take minutes under emulation), as a ratio in the same run;
 *  2. a one-VF change: ms until the new rules are in force, and how many rules it touched;
 *  3. drift: a rule deleted with `tc filter del`, found and put back by heal() (one read,
 *     one batch of what is missing), against the re-plan path (check, then observe +
 *     compile + diff + apply) as a ratio; the driver's poll interval (1 s default), or a
 *     link notification, comes on top.
 * Under TCG emulation every process spawn is far slower than on hardware: compare ratios.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DriftWatcher } from '../src/drivers/linux/drift-watcher.js';
import { type PortMap, TcEswitch } from '../src/drivers/linux/eswitch/tc-eswitch.js';
import { replaceLine } from '../src/drivers/linux/eswitch/tc-lines.js';
import { spawnTc } from '../src/drivers/linux/eswitch/tc-run.js';
import { compileEswitch } from '../src/policy/eswitch/compile.js';
import { diffRules } from '../src/policy/eswitch/diff.js';
import { benchInLabVm } from './_lab-vm.js';
import { lagKernelFigures } from './_lag-kernel.js';
import { atLeast, atMost, type Bench, parseBenchArgs, runBenches } from './_report.js';
import { desired, policy } from './eswitch.js';

const run$ = promisify(execFile);
const VFS = 64;
const SAMPLE = 150;

function sh(cmd: string): void {
  spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });
}

/** `prefix`up and `prefix`0…63 as dummy netdevs with clsact: stand-ins for representors. */
function ports(prefix: string): PortMap {
  const m = new Map<string, string>([['uplink', `${prefix}up`]]);
  for (let i = 0; i < VFS; i++) m.set(`vf${i}`, `${prefix}${i}`);
  sh([...m.values()].map((d) => `ip link add ${d} type dummy; ip link set ${d} up`).join('; '));
  return m;
}

function drop(m: PortMap): void {
  sh([...m.values()].map((d) => `ip link del ${d}`).join('; '));
}

function compile(change = false) {
  // bench/eswitch.ts's mix: 32 VFs share VLAN 2000, so its floods take more actions than
  // one TC filter holds and go on in spill chains (policy/eswitch/spill.ts).
  const pols = Array.from({ length: VFS }, (_, i) => policy(i));
  if (change) pols[4] = { ...pols[4], vlans: [...(pols[4].vlans ?? []), 3000] };
  const d = desired(pols);
  return compileEswitch(d.eswitch?.[0] ?? { pf: d.pfs[0], vfs: d.vfs });
}

async function inVm(b: Bench): Promise<void> {
  const m = ports('bsd');
  const sw = new TcEswitch('bench', spawnTc(), 'skip_hw');
  try {
    const t0 = performance.now();
    const rules = compile();
    const out = await sw.apply(diffRules([], rules), m);
    const batchMs = performance.now() - t0;
    if (out.status !== 'done') throw new Error(`bench: ${out.failures[0]?.error}`);
    const n = rules.rules.length;
    b.figure('rules for 64 VFs on one PF', n, 'rules');
    const batch = b.figure('compile + apply 64 VFs, one tc -batch', batchMs, 'ms');
    // One process per rule, on other netdevs so both sets stay independent.
    const m2 = ports('bsp');
    sh([...m2.values()].map((d) => `tc qdisc add dev ${d} clsact`).join('; '));
    const devOf = (p: string) => m2.get(p) ?? 'none';
    const sample = rules.rules.slice(0, SAMPLE);
    const t1 = performance.now();
    for (const r of sample) {
      const { line } = replaceLine(r, 1, devOf, 'skip_hw');
      await run$('tc', line.split(' '));
    }
    const perRule = (performance.now() - t1) / sample.length;
    drop(m2);
    const spawned = b.figure(
      'compile + apply 64 VFs, one tc process per rule',
      perRule * n,
      'ms',
      null,
      `${sample.length} rules measured, ${perRule.toFixed(1)} ms each, scaled to ${n}`,
    );
    b.ratio('one process per rule / one batch', spawned, batch, atLeast(10));

    const before = await sw.observe(m);
    const t2 = performance.now();
    const diff = diffRules(before, compile(true));
    const one = await sw.apply(diff, m);
    const oneMs = performance.now() - t2;
    if (one.status !== 'done') throw new Error(`bench: ${one.failures[0]?.error}`);
    const touched = diff.add.length + diff.change.length + diff.remove.length;
    b.figure('one-VF change (a VLAN added to a trunk): diff + apply until in force', oneMs, 'ms');
    b.figure(
      'one-VF change: rules touched',
      touched,
      'rules',
      atMost(Math.ceil(n / 10)),
      `of ${n}`,
    );

    // Drift: a rule deleted with `tc filter del`, as the re-plan path repairs it (check,
    // then the daemon's observe + compile + diff + apply) and as heal() does (one read, one
    // batch of what is missing), each on its own deletion.
    const victim = (await sw.observe(m)).find((r) => r.port === 'vf7' && r.chain === 1);
    if (!victim || victim.handle === undefined) throw new Error('bench: no rule to delete');
    const proto = victim.match.protocol === 'all' ? 'all' : String(victim.match.protocol);
    // Put back at its place and handle each time, so the same command deletes it again.
    const del = () =>
      sh(
        `tc filter del dev ${m.get('vf7')} ingress chain ${victim.chain} prio ${victim.prio} handle ${victim.handle} protocol ${proto} flower`,
      );
    del();
    const t3 = performance.now();
    const why = await sw.drifted(m);
    const foundMs = performance.now() - t3;
    const seen = await sw.observe(m);
    const observedMs = performance.now() - t3 - foundMs;
    const t4 = performance.now();
    const want = compile(true);
    const compiledMs = performance.now() - t4;
    const fix = await sw.apply(diffRules(seen, want), m);
    const replanMs = performance.now() - t3;
    if (!why || fix.status !== 'done' || (await sw.drifted(m)) !== null) {
      throw new Error(`bench: drift not repaired (${why})`);
    }
    b.figure('drift: a deleted rule found by one ledger check (one read)', foundMs, 'ms');
    b.figure('drift re-plan: observe', observedMs, 'ms');
    b.figure('drift re-plan: compile', compiledMs, 'ms');
    b.figure('drift re-plan: diff + apply', replanMs - foundMs - observedMs - compiledMs, 'ms');
    const replan = b.figure(
      'drift: found and repaired by a re-plan (check + observe + compile + diff + apply)',
      replanMs,
      'ms',
    );
    // heal() as the driver runs it: TC notifications heard (the driver's DriftWatcher), so
    // the check reads only the netdev a notification named.
    const ifindexes = new Map<number, string>();
    for (const d of m.values())
      ifindexes.set(Number(readFileSync(`/sys/class/net/${d}/ifindex`, 'utf8')), d);
    let named: () => void = () => {};
    const notified = new Promise<void>((r) => {
      named = r;
    });
    let armed = false;
    const watcher = new DriftWatcher(
      3_600_000,
      async () => {},
      () => {},
      (ifindex) => {
        const dev = ifindex === null ? null : (ifindexes.get(ifindex) ?? undefined);
        if (dev === undefined) return;
        sw.touched(dev);
        if (armed) named();
      },
    );
    await watcher.start();
    sw.watch(true);
    await sw.heal(m); // the first check reads everything once
    armed = true;
    const t5 = performance.now();
    del();
    await notified;
    const healed = await sw.heal(m);
    const healMs = performance.now() - t5;
    await watcher.stop();
    if (healed?.repaired !== 1 || (await sw.drifted(m)) !== null) {
      throw new Error(`bench: heal did not repair (${JSON.stringify(healed)})`);
    }
    const heal = b.figure(
      'drift: deleted, notified, found and repaired (heal: TC notification, one read of that netdev, one batch)',
      healMs,
      'ms',
      atMost(2000),
      'from `tc filter del` (its process included) to the rule back',
    );
    b.ratio('re-plan / heal', replan, heal, atLeast(1.5));
  } finally {
    drop(m);
  }
}

/** On the host: boots the lab VM and runs this file inside (root, QEMU and the VM needed). */
function bootVm(b: Bench): void {
  benchInLabVm(b, { name: 'switchdev bench', script: 'bench-switchdev.sh' });
}

export async function run(b: Bench): Promise<void> {
  if (process.env.NICVISOR_LAB === 'netdevsim') {
    // In the same boot: VF-LAG failover through a bond uplink (bench/_lag-kernel.ts), first:
    // it takes ~90 s under TCG, and behind the 64-VF part it was never reached.
    await lagKernelFigures(b);
    await inVm(b);
  } else bootVm(b);
}

// Inside the lab VM (test/lab/vm/bench-switchdev.sh): node dist/bench/switchdev.js [--json FILE]
if (process.argv[1] === fileURLToPath(import.meta.url))
  await runBenches([{ name: 'switchdev', run }], parseBenchArgs(process.argv.slice(2)));
