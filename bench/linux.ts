/**
 * Linux driver figures, measured inside the lab VM against netdevsim (a real kernel):
 *  1. one VF change through the driver vs. a spawned `ip link set … vf …` (µs, ratio);
 *  2. a full policy on 64 VFs: driver vs. one `ip` spawn per attribute (ms, ratio);
 *  3. reading config + stats of every VF of a PF (64 and 256 VFs).
 * On the host, run() boots the lab VM and runs this file inside it (root, QEMU and a built
 * VM needed, else it says why it skips); the VM's figures come back as JSON through a shared
 * folder. The VM runs under TCG emulation, so absolute times are slower than on hardware;
 * the ratios are what to compare. Goal: one VF change ≥ 40× faster than a spawned `ip`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import koffi from 'koffi';
import { LinuxDriver } from '../src/drivers/linux/index.js';
import { NETLINK_ROUTE } from '../src/drivers/linux/netlink/constants.js';
import { decodeLink } from '../src/drivers/linux/netlink/link-decode.js';
import { setMtuRequest } from '../src/drivers/linux/netlink/link-request.js';
import { splitMessages } from '../src/drivers/linux/netlink/message.js';
import { NetlinkSocket } from '../src/drivers/linux/netlink/transport.js';
import { Rtnl } from '../src/drivers/linux/rtnl.js';
import { MainConfig, type PlanStep, VfPolicy, type VfPolicyInput } from '../src/model/index.js';
import { desiredState } from '../src/policy/desired.js';
import { plan } from '../src/policy/plan.js';
import { atLeast, atMost, type Bench, type Figure, parseBenchArgs, runBenches } from './_report.js';
import { percentile } from './_stats.js';

const run$ = promisify(execFile);
const DEV = '/sys/bus/netdevsim/devices/netdevsim20';
const PF = 'netdevsim20';

function sh(cmd: string): string {
  return spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' }).stdout;
}

function setup(maxVfs: number): string {
  sh('modprobe netdevsim');
  if (!existsSync(DEV)) sh('echo "20 1" > /sys/bus/netdevsim/new_device');
  for (let i = 0; i < 50 && !existsSync(`${DEV}/net`); i++) sh('sleep 0.1');
  sh(`echo 0 > ${DEV}/sriov_numvfs; echo ${maxVfs} > /sys/kernel/debug/netdevsim/${PF}/max_vfs`);
  const netdev = sh(`ls ${DEV}/net`).trim().split('\n')[0];
  sh(`ip link set ${netdev} up`);
  return netdev;
}

function policy(vf: number, flip: boolean): VfPolicyInput {
  const hex = vf.toString(16).padStart(2, '0');
  return {
    name: `b-${vf}`,
    pf: PF,
    vf,
    macs: [`02:00:00:00:${flip ? '0b' : '0a'}:${hex}`],
    vlans: [flip ? 200 + vf : 100 + vf],
    vlanQoS: flip ? 5 : 2,
    vlanProto: flip ? '802.1ad' : '802.1Q',
    trust: flip,
    macAntiSpoof: !flip,
    vlanAntiSpoof: !flip,
    linkState: flip ? 'enable' : 'disable',
    minTxRate: flip ? 20 : 10,
    maxTxRate: flip ? 200 : 100,
  };
}

/** The `ip` commands a script without batching would run: one per attribute. */
function ipCommands(netdev: string, p: VfPolicyInput): string[][] {
  const base = ['link', 'set', netdev, 'vf', String(p.vf)];
  const anti = p.macAntiSpoof ? 'on' : 'off';
  return [
    [...base, 'mac', p.macs?.[0] ?? ''],
    [
      ...base,
      'vlan',
      String(p.vlans?.[0]),
      'qos',
      String(p.vlanQoS),
      'proto',
      p.vlanProto ?? '802.1Q',
    ],
    [...base, 'spoofchk', anti],
    [...base, 'trust', p.trust ? 'on' : 'off'],
    [...base, 'state', p.linkState ?? 'auto'],
    [...base, 'min_tx_rate', String(p.minTxRate), 'max_tx_rate', String(p.maxTxRate)],
  ];
}

async function converge(driver: LinuxDriver, numVfs: number, pols: VfPolicy[]): Promise<number> {
  const cfg = MainConfig.parse({ driver: 'linux', pfs: [{ pf: PF, numVfs }] });
  let applyMs = 0;
  for (let i = 0; i < 3; i++) {
    const p = plan(desiredState(cfg, pols, new Map(), new Map()), await driver.observe({ pf: PF }));
    if (p.steps.length === 0) break;
    const t0 = performance.now();
    const r = await driver.apply(p);
    applyMs += performance.now() - t0;
    const bad = r.outcomes.find((o) => o.status !== 'done');
    if (bad) throw new Error(`bench apply failed: ${JSON.stringify(bad)}`);
  }
  return applyMs;
}

const FASTER_THAN_IP = atLeast(40);

async function oneChange(b: Bench, driver: LinuxDriver, netdev: string): Promise<void> {
  const step = (on: boolean): PlanStep => ({
    kind: 'setVf',
    pf: PF,
    vf: 0,
    name: 'b-0',
    field: 'trust',
    from: !on,
    to: on,
    reason: 'bench',
  });
  for (let i = 0; i < 20; i++) await driver.apply({ steps: [step(i % 2 === 0)] }); // warm-up
  const drv: number[] = [];
  for (let i = 0; i < 400; i++) {
    const t0 = performance.now();
    const r = await driver.apply({ steps: [step(i % 2 === 0)] });
    drv.push((performance.now() - t0) * 1000);
    if (r.outcomes[0].status !== 'done') throw new Error('bench: change failed');
  }
  const ip: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    await run$('ip', ['link', 'set', netdev, 'vf', '0', 'trust', i % 2 ? 'on' : 'off']);
    ip.push((performance.now() - t0) * 1000);
  }
  const raw: number[] = [];
  const rtnl = new Rtnl();
  await rtnl.open();
  const ifindex = Number(sh(`cat /sys/class/net/${netdev}/ifindex`));
  for (let i = 0; i < 400; i++) {
    const t0 = performance.now();
    await rtnl.setVfs([{ ifindex, change: { vf: 0, trust: i % 2 === 0 } }]);
    raw.push((performance.now() - t0) * 1000);
  }
  await rtnl.close();
  raw.sort((a, b) => a - b);
  drv.sort((a, b) => a - b);
  ip.sort((a, b) => a - b);
  b.figure('one RTM_SETLINK through the transport alone, p50', percentile(raw, 50), 'µs');
  const d = b.figure('one VF change, driver, p50', percentile(drv, 50), 'µs');
  b.figure('one VF change, driver, p99', percentile(drv, 99), 'µs');
  const s = b.figure('one VF change, spawned ip, p50', percentile(ip, 50), 'µs');
  b.figure('one VF change, spawned ip, p99', percentile(ip, 99), 'µs');
  b.ratio('one VF change, spawned ip p50 / driver p50', s, d, FASTER_THAN_IP);
}

async function fullPolicy(bench: Bench, driver: LinuxDriver, netdev: string): Promise<void> {
  const a = Array.from({ length: 64 }, (_, i) => VfPolicy.parse(policy(i, false)));
  const b = Array.from({ length: 64 }, (_, i) => VfPolicy.parse(policy(i, true)));
  await converge(driver, 64, a);
  const runs: number[] = [];
  for (let i = 0; i < 6; i++) runs.push(await converge(driver, 64, i % 2 === 0 ? b : a));
  runs.sort((x, y) => x - y);
  const steps = 64 * 12;
  const t0 = performance.now();
  let spawns = 0;
  for (const p of b) {
    for (const args of ipCommands(netdev, policy(p.vf, true))) {
      await run$('ip', args);
      spawns++;
    }
  }
  const ipMs = performance.now() - t0;
  const what = `full policy on 64 VFs (${steps} field changes)`;
  const d = bench.figure(`${what}, driver apply p50`, percentile(runs, 50), 'ms');
  const s = bench.figure(
    `${what}, one ip spawn per attribute`,
    ipMs,
    'ms',
    null,
    `${spawns} spawns`,
  );
  bench.ratio(`${what}, ip spawns / driver`, s, d);
}

async function readAll(b: Bench, driver: LinuxDriver, n: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const [pf] = await driver.observe({ pf: PF, stats: true });
    times.push(performance.now() - t0);
    if (pf.vfs.length !== n) throw new Error(`bench: read ${pf.vfs.length} of ${n} VFs`);
  }
  times.sort((x, y) => x - y);
  b.figure(`read config + stats of ${n} VFs of one PF (observe), p50`, percentile(times, 50), 'ms');
}

/**
 * 8 PFs × 256 VFs on the lab kernel (eight netdevsim devices): the mechanism time of a whole
 * host's reconcile, from one plan of every VF to every step acknowledged by the kernel, and
 * the in-sync check after it (observe of the 8 PFs + plan, no steps).
 */
const EIGHT = Array.from({ length: 8 }, (_, k) => 21 + k);

/** The eight netdevsim devices of eightBy256, made before the driver starts (it finds PFs then). */
function makeEight(): void {
  for (const id of EIGHT) {
    const dev = `/sys/bus/netdevsim/devices/netdevsim${id}`;
    if (!existsSync(dev)) sh(`echo "${id} 1" > /sys/bus/netdevsim/new_device`);
    for (let i = 0; i < 50 && !existsSync(`${dev}/net`); i++) sh('sleep 0.1');
    sh(`echo 256 > /sys/kernel/debug/netdevsim/netdevsim${id}/max_vfs`);
    sh(`ip link set $(ls ${dev}/net | head -1) up`);
  }
}

async function eightBy256(b: Bench, driver: LinuxDriver): Promise<void> {
  const ids = EIGHT;
  const pfs = ids.map((id) => `netdevsim${id}`);
  const cfg = MainConfig.parse({
    driver: 'linux',
    pfs: pfs.map((pf) => ({ pf, numVfs: 256 })),
  });
  const pols = pfs.flatMap((pf, k) =>
    Array.from({ length: 256 }, (_, vf) =>
      VfPolicy.parse({
        name: `h-${k}-${vf}`,
        pf,
        vf,
        macs: [
          `02:00:00:${k.toString(16).padStart(2, '0')}:${(vf >> 8).toString(16).padStart(2, '0')}:${(vf & 255).toString(16).padStart(2, '0')}`,
        ],
        vlans: [100 + (vf % 3000)],
        vlanQoS: 2,
        trust: vf % 2 === 0,
        macAntiSpoof: true,
        linkState: 'enable',
        maxTxRate: 100,
      }),
    ),
  );
  const observeAll = async () => (await driver.observe()).filter((p) => pfs.includes(p.id));
  // numVfs first (VFs made by the kernel), then every VF's fields in one plan.
  const made = await driver.apply(
    plan(desiredState(cfg, [], new Map(), new Map()), await observeAll()),
  );
  if (made.outcomes.some((o) => o.status !== 'done')) throw new Error('bench: numVfs failed');
  const p = plan(desiredState(cfg, pols, new Map(), new Map()), await observeAll());
  const t0 = performance.now();
  const r = await driver.apply(p);
  const applyMs = performance.now() - t0;
  const failed = r.outcomes.filter((o) => o.status !== 'done').length;
  const what = 'reconcile 8 PFs × 256 VFs (netdevsim), plan → all steps acknowledged';
  b.figure(what, applyMs, 'ms', null, `${p.steps.length} steps, ${failed} failed`);
  b.figure(
    'reconcile 8 PFs × 256 VFs (netdevsim), steps not acknowledged',
    failed,
    'steps',
    atMost(0),
  );
  const t1 = performance.now();
  const left = plan(desiredState(cfg, pols, new Map(), new Map()), await observeAll());
  b.figure(
    'reconcile 8 PFs × 256 VFs (netdevsim), in sync: observe + plan',
    performance.now() - t1,
    'ms',
    null,
    `${left.steps.length} steps left`,
  );
  b.figure(
    'reconcile 8 PFs × 256 VFs (netdevsim), steps left after one apply',
    left.steps.length,
    'steps',
    atMost(0),
  );
  for (const id of ids) sh(`echo ${id} > /sys/bus/netdevsim/del_device`);
}

async function inVm(b: Bench): Promise<void> {
  const netdev = setup(256);
  if (!process.env.NICVISOR_BENCH_QUICK) makeEight();
  const driver = new LinuxDriver({
    sysfsRoot: '/sys',
    stateDir: mkdtempSync(join(tmpdir(), 'nicvisor-bench-')),
    pollIntervalMs: 60000,
  });
  await driver.start();
  try {
    await converge(driver, 64, [VfPolicy.parse(policy(0, false))]);
    await oneChange(b, driver, netdev);
    if (process.env.NICVISOR_BENCH_QUICK) return;
    await fullPolicy(b, driver, netdev);
    await readAll(b, driver, 64);
    await converge(driver, 256, []);
    await readAll(b, driver, 256);
    await eightBy256(b, driver);
  } finally {
    await driver.stop();
  }
}

/**
 * Boots the lab VM (test/lab/boot/run-vm.sh, which says why when it cannot) and runs this
 * file inside; its figures come back as JSON through a shared folder.
 */
function bootVm(b: Bench): void {
  if (process.getuid?.() !== 0) {
    console.log('  linux bench in the lab VM skipped: not root (QEMU needs root here)');
    return;
  }
  const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const share = mkdtempSync(join(tmpdir(), 'nicvisor-bench-lab-'));
  const json = join(share, 'figures.json');
  try {
    const args = ['-s', share, '--timeout', '600', '--env', 'NICVISOR_BENCH_QUICK'];
    const r = spawnSync(
      join(repo, 'test/lab/boot/run-vm.sh'),
      [...args, '--env', 'NICVISOR_BENCH_JSON', join(repo, 'test/lab/vm/bench.sh')],
      {
        cwd: repo,
        env: { ...process.env, NICVISOR_BENCH_JSON: json },
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) console.log(`  linux bench: lab VM exited ${r.status}\n${r.stdout}`);
    if (!existsSync(json)) return;
    for (const f of JSON.parse(readFileSync(json, 'utf8')) as Figure[])
      b.adopt(f, 'lab VM (TCG): ');
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}

/**
 * Where a round trip's time goes: the same request as send + recv on this thread (no worker
 * hop; what the kernel and the FFI call cost), in µs, sorted. Bench-only: the driver keeps
 * the socket in a worker so the event loop never blocks on the kernel.
 */
function kernelShare(n: number, msg: Buffer): number[] {
  const libc = koffi.load('libc.so.6');
  const socket = libc.func('int socket(int, int, int)');
  const send = libc.func('long send(int, const void *, size_t, int)');
  const recv = libc.func('long recv(int, void *, size_t, int)');
  const close = libc.func('int close(int)');
  const fd = socket(16, 3 | 0x80000, NETLINK_ROUTE) as number; // AF_NETLINK, SOCK_RAW|CLOEXEC
  if (fd < 0) return [];
  const buf = Buffer.alloc(64 * 1024);
  const out: number[] = [];
  try {
    for (let i = 0; i < n + n / 10; i++) {
      msg.writeUInt32LE(i + 1, 8);
      const t0 = performance.now();
      if ((send(fd, msg, msg.length, 0) as number) < 0) return [];
      if ((recv(fd, buf, buf.length, 0) as number) < 16) return [];
      if (i >= n / 10) out.push((performance.now() - t0) * 1000);
    }
  } finally {
    close(fd);
  }
  return out.sort((a, b) => a - b);
}

/**
 * On the host (no SR-IOV here): the same syscalls and thread hops with a harmless change,
 * `ip link set lo mtu <its current MTU>` (the kernel returns early on an unchanged MTU),
 * and the decoder on the real 256-VF dump captured in the lab VM.
 */
async function onHost(b: Bench): Promise<void> {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const mtu = Number(sh('cat /sys/class/net/lo/mtu'));
  const rtnl = new Rtnl();
  try {
    await rtnl.open();
  } catch (e) {
    console.log(`  host transport figures skipped: ${(e as Error).message}`);
    return;
  }
  try {
    for (let i = 0; i < 200; i++) await rtnl.setMtu(1, mtu);
    const one: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      await rtnl.setMtu(1, mtu);
      one.push((performance.now() - t0) * 1000);
    }
    const sock = new NetlinkSocket(NETLINK_ROUTE);
    await sock.open();
    const t0 = performance.now();
    await sock.request(Array.from({ length: 1000 }, () => setMtuRequest(1, mtu)));
    const piped = ((performance.now() - t0) * 1000) / 1000;
    await sock.close();
    const ip: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t1 = performance.now();
      await run$('ip', ['link', 'set', 'lo', 'mtu', String(mtu)]);
      ip.push((performance.now() - t1) * 1000);
    }
    one.sort((a, b) => a - b);
    ip.sort((a, b) => a - b);
    const kernel = kernelShare(2000, setMtuRequest(1, mtu));
    const d = b.figure('host: one RTM_SETLINK round trip, p50', percentile(one, 50), 'µs');
    b.figure('host: one RTM_SETLINK round trip, p99', percentile(one, 99), 'µs');
    if (kernel.length > 0) {
      const k = percentile(kernel, 50);
      b.figure('host: of which send + recv on the calling thread, p50', k, 'µs');
      b.figure(
        'host: of which send + recv on the calling thread, p99',
        percentile(kernel, 99),
        'µs',
      );
      b.figure('host: so the worker hop + JS costs, p50', percentile(one, 50) - k, 'µs');
    }
    b.figure('host: RTM_SETLINK pipelined (1000 in one request), each', piped, 'µs');
    const x = b.figure('host: spawned ip link set, p50', percentile(ip, 50), 'µs');
    b.ratio('host: spawned ip p50 / RTM_SETLINK round trip p50', x, d, FASTER_THAN_IP);
  } finally {
    await rtnl.close();
  }
  const hex = readFileSync(join(repo, 'test/fixtures/netlink/show-256.answer.hex'), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('');
  const msg = [...splitMessages(Buffer.from(hex, 'hex'))][0];
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    decodeLink(msg.payload);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const what = `host: decode one PF with 256 VFs and stats (${msg.payload.length} B real dump)`;
  b.figure(`${what}, p50`, percentile(times, 50), 'ms');
}

export async function run(b: Bench): Promise<void> {
  if (process.env.NICVISOR_LAB === 'netdevsim') {
    await inVm(b);
    return;
  }
  await onHost(b);
  bootVm(b);
}

// Inside the lab VM (test/lab/vm/bench.sh): node dist/bench/linux.js [--json FILE]
if (process.argv[1] === fileURLToPath(import.meta.url))
  await runBenches([{ name: 'linux', run }], parseBenchArgs(process.argv.slice(2)));
