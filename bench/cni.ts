/**
 * Claims and the CNI plugin on the real kernel (issue 12), inside the lab VM booted with one
 * emulated 82576 (`--igb`, test/lab/vm/bench-cni.sh): a daemon on the linux driver, a pool
 * over two igbvf netdevs, the plugin run the way a container runtime runs it (CNI_* env,
 * netconf on stdin, Debian's host-local IPAM chained), from a copy installed on the VM's own
 * disk as a package would put it (the repository reaches the VM over uncached 9p, where
 * every file node opens costs round trips no installed copy pays).
 *  1. claim → VF configured over the API (VF chosen, ledger written, profile applied through
 *     the store and the reconciler, read back in sync) and release (restored, verified):
 *     p50/p99, against a bare `ip link set PF vf N mac … vlan …` in the same run;
 *  2. CNI ADD (claim + netns move + rename + MAC + host-local + addresses) and DEL (move
 *     back + host-local DEL + release): p50/p99, against host-local alone in the same run.
 *  3. where a CNI call's time goes: the plugin's own step trace (NICVISOR_CNI_TRACE=1) cuts
 *     each run into phases (process start → started → claimed → moved → exit for ADD).
 * Goals are the anchors: containerd's whole default CNI setup takes ~1.5 s, and
 * sriov-cni resets a VF in 1-2 s after a pod delete. The VM runs under TCG emulation on a
 * shared 2-core machine: every process start and every JS step is many times slower than on
 * hardware (`node -e 0` is given as the yardstick), so read the ratios first.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiServer } from '../src/api/server.js';
import { leanApi } from '../src/cli/lean-api.cjs';
import { silentLogger } from '../src/daemon/logger.js';
import { Daemon } from '../src/daemon/service.js';
import { installLean } from '../test/lab/vm/lean-install.js';
import { benchInLabVm } from './_lab-vm.js';
import { atMost, type Bench, type Figure, parseBenchArgs, runBenches } from './_report.js';
import { percentile } from './_stats.js';

const ROUNDS = Number(process.env.NICVISOR_BENCH_ROUNDS ?? 8);
const HOST_LOCAL = '/usr/lib/cni/host-local';
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');

function sh(cmd: string): string {
  const r = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench cni: ${cmd}: ${r.stderr.trim()}`);
  return r.stdout;
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Runs `argv` with `env` and `stdin` as a runtime runs a CNI plugin; answers its ms. */
function runProgram(argv: string[], env: NodeJS.ProcessEnv, stdin: string): Promise<number> {
  return runTraced(argv, env, stdin).then((r) => r.ms);
}

/** The same, with the plugin's stderr (its NICVISOR_CNI_TRACE steps). */
function runTraced(
  argv: string[],
  env: NodeJS.ProcessEnv,
  stdin: string,
): Promise<{ ms: number; stderr: string; spawnedAt: number }> {
  const t0 = performance.now();
  const spawnedAt = performance.timeOrigin + t0;
  const [bin, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { env, encoding: 'utf8' }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${bin} ${env.CNI_COMMAND}: ${stdout.trim() || err.message}`))
        : resolve({ ms: performance.now() - t0, stderr, spawnedAt }),
    );
    child.stdin?.end(stdin);
  });
}

/**
 * Where one traced run's time went: `nicvisor-cni: STEP at N ms` lines (N since the plugin's
 * process started) cut the run at each of `steps` (prefixes, in order); the last phase runs
 * to the exit the bench saw. Answers ms per phase, named `previous → step`. Given the Unix ms
 * of the spawn (`spawnedAt`) and the trace's `time origin` line (node's clock start, Unix ms),
 * the time before node's clock began (fork, exec, loading node) is a phase of its own, not
 * part of the last one.
 */
export function phases(
  stderr: string,
  totalMs: number,
  steps: string[],
  spawnedAt?: number,
): Map<string, number> {
  const at = new Map<string, number>();
  for (const m of stderr.matchAll(/^nicvisor-cni: (.+) at (\d+) ms$/gm)) {
    const step = steps.find((s) => m[1]!.startsWith(s));
    if (step && !at.has(step)) at.set(step, Number(m[2]));
  }
  const out = new Map<string, number>();
  const origin = /^nicvisor-cni: time origin ([\d.]+)$/m.exec(stderr);
  const before =
    origin && spawnedAt !== undefined ? Math.max(0, Number(origin[1]) - spawnedAt) : null;
  let prev = 'spawn';
  let t = 0;
  if (before !== null) {
    out.set('spawn → process began', before);
    prev = 'process began';
  }
  for (const s of steps) {
    const v = at.get(s);
    if (v === undefined) continue;
    out.set(`${prev} → ${s}`, v - t);
    prev = s;
    t = v;
  }
  out.set(`${prev} → exit`, totalMs - (before ?? 0) - t);
  return out;
}

/** p50 per phase over traced runs, as context figures (no goal: they add up to the total). */
function phaseFigures(b: Bench, what: string, runs: Map<string, number>[]): void {
  const names = [...new Set(runs.flatMap((r) => [...r.keys()]))];
  for (const n of names) {
    const xs = sorted(runs.flatMap((r) => (r.has(n) ? [r.get(n)!] : [])));
    b.figure(`${what} phase ${n} p50`, percentile(xs, 50), 'ms');
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
/** Every run in order, so an outlier shows where it fell. */
const runsNote = (xs: number[]) => `runs in order: ${xs.map((x) => Math.round(x)).join(', ')} ms`;

/** p50 and p99 of `xs` as two figures, the p99 held to `goal`; answers the p50 figure. */
function spread(b: Bench, name: string, xs: number[], goal: number | null, note?: string): Figure {
  const s = sorted(xs);
  const p50 = b.figure(
    `${name} p50`,
    percentile(s, 50),
    'ms',
    goal === null ? null : atMost(goal),
    note,
  );
  b.figure(
    `${name} p99 (${s.length} runs)`,
    percentile(s, 99),
    'ms',
    goal === null ? null : atMost(goal),
  );
  return p50;
}

async function inVm(b: Bench): Promise<void> {
  const netdev = process.env.NICVISOR_IGB_PF ?? 'eth0';
  const pf = basename(readlinkSync(`/sys/class/net/${netdev}/device`));
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-bench-cni-'));
  const stateDir = join(dir, 'state');
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  const socket = join(dir, 'api.sock');
  const configFile = join(dir, 'nicvisor.json');
  sh(`echo 0 > /sys/class/net/${netdev}/device/sriov_numvfs`);
  await writeFile(
    configFile,
    JSON.stringify({
      driver: 'linux',
      daemon: {
        stateDir,
        socket,
        driftIntervalMs: 60000,
        statsIntervalMs: 60000,
        poolLeakGraceMs: 300000,
      },
      pfs: [{ pf, numVfs: 2 }],
      pools: [
        {
          name: 'pods',
          pfs: [pf],
          vfs: { from: 0, to: 1 },
          physicalNetwork: 'lab',
          profile: {
            vlans: [100],
            mac: { mode: 'range', from: '02:00:00:00:0b:01', to: '02:00:00:00:0b:ff' },
          },
        },
      ],
    }),
  );
  const daemon = new Daemon({ configFile, log: silentLogger() });
  await daemon.start();
  const api = new ApiServer(daemon, { socket, bodyLimit: 65536 });
  await api.start();
  const bin = installLean(join(repo, 'dist'), join(dir, 'lib'));
  try {
    const vfNetdev = (i: number) => existsSync(`/sys/class/net/${netdev}/device/virtfn${i}/net`);
    for (let i = 0; i < 600 && !(vfNetdev(0) && vfNetdev(1)); i++)
      await new Promise((r) => setTimeout(r, 100));
    const node = sorted(
      Array.from({ length: 5 }, () => timed(() => spawnSync(process.execPath, ['-e', '0']))),
    );
    b.figure('node -e 0 in the VM (the emulation yardstick)', percentile(node, 50), 'ms');

    // 1. claims, and the bare kernel call as the baseline.
    const bare: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(
        timed(() =>
          sh(`ip link set ${netdev} vf 1 mac 02:00:00:00:0a:${(16 + i).toString(16)} vlan 100`),
        ),
      );
      sh(`ip link set ${netdev} vf 1 mac 00:00:00:00:00:00 vlan 0`);
    }
    const lean = leanApi(socket);
    const claim: number[] = [];
    const release: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now();
      const r = await lean.claim('pods', { owner: { kind: 'pod', id: `bench-${i}` } });
      claim.push(performance.now() - t0);
      if (r.syncState !== 'in-sync')
        throw new Error(`bench cni: claim ${r.claim.id} is ${r.syncState}`);
      t0 = performance.now();
      const out = await lean.release(r.claim.id);
      release.push(performance.now() - t0);
      if (!out.verified)
        throw new Error(
          `bench cni: release of ${r.claim.id} not verified: ${out.differences.join('; ')}`,
        );
    }
    const bareP50 = b.figure(
      'bare `ip link set PF vf N mac … vlan …` p50',
      percentile(sorted(bare), 50),
      'ms',
    );
    const claimP50 = spread(
      b,
      'claim → VF configured (igb, API)',
      claim,
      1500,
      'goal: within containerd’s whole CNI setup',
    );
    spread(
      b,
      'release → VF restored and verified (igb, API)',
      release,
      2000,
      'goal: sriov-cni’s VF reset',
    );
    b.ratio('claim p50 / bare ip link set vf p50', claimP50, bareP50);

    // 2. the CNI plugin, and host-local alone.
    sh(`ip link del ${netdev}.100 2>/dev/null || true; ip link set ${netdev} up`);
    const conf = {
      cniVersion: '1.0.0',
      name: 'bench-sriov',
      type: 'nicvisor-cni',
      pool: 'pods',
      socket,
      ipam: { type: 'host-local', subnet: '192.168.78.0/24', dataDir: join(dir, 'ipam') },
    };
    const env = (command: string, id: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: id,
      CNI_NETNS: `/var/run/netns/${id}`,
      CNI_IFNAME: 'net1',
      CNI_PATH: '/usr/lib/cni',
    });
    const hlAdd: number[] = [];
    const hlDel: number[] = [];
    const hlConf = JSON.stringify({
      ...conf,
      ipam: { ...conf.ipam, dataDir: join(dir, 'ipam-alone') },
    });
    for (let i = 0; i < ROUNDS; i++) {
      hlAdd.push(await runProgram([HOST_LOCAL], env('ADD', `hl${i}`), hlConf));
      hlDel.push(await runProgram([HOST_LOCAL], env('DEL', `hl${i}`), hlConf));
    }
    const add: number[] = [];
    const del: number[] = [];
    const addPhases: Map<string, number>[] = [];
    const delPhases: Map<string, number>[] = [];
    const plugin = [process.execPath, bin.cni];
    // The plugin's own step trace (a few stderr lines) says where each run's time went.
    const traced = (command: string, id: string) => ({
      ...env(command, id),
      NICVISOR_CNI_TRACE: '1',
    });
    for (let i = 0; i < ROUNDS; i++) {
      const id = `bc${i}`;
      sh(`ip netns add ${id}`);
      try {
        const a = await runTraced(plugin, traced('ADD', id), JSON.stringify(conf));
        add.push(a.ms);
        addPhases.push(
          phases(
            a.stderr,
            a.ms,
            ['node bootstrapped', 'started', 'claimed', 'moved', 'exiting'],
            a.spawnedAt,
          ),
        );
        const d = await runTraced(plugin, traced('DEL', id), JSON.stringify(conf));
        del.push(d.ms);
        delPhases.push(
          phases(
            d.stderr,
            d.ms,
            ['node bootstrapped', 'started', 'found', 'moved out', 'released', 'exiting'],
            d.spawnedAt,
          ),
        );
      } finally {
        sh(`ip netns del ${id}`);
      }
    }
    const addP50 = spread(
      b,
      'CNI ADD (igb, host-local chained)',
      add,
      1500,
      'goal: containerd’s default CNI setup',
    );
    const delP50 = spread(
      b,
      'CNI DEL (igb, host-local chained)',
      del,
      2000,
      'goal: sriov-cni’s VF reset',
    );
    b.figure('CNI ADD slowest run', Math.max(...add), 'ms', null, runsNote(add));
    b.figure('CNI DEL slowest run', Math.max(...del), 'ms', null, runsNote(del));
    phaseFigures(b, 'CNI ADD', addPhases);
    phaseFigures(b, 'CNI DEL', delPhases);
    const hlAddP50 = b.figure('host-local ADD alone p50', percentile(sorted(hlAdd), 50), 'ms');
    const hlDelP50 = b.figure('host-local DEL alone p50', percentile(sorted(hlDel), 50), 'ms');
    b.ratio('CNI ADD p50 / host-local ADD alone p50', addP50, hlAddP50);
    b.ratio('CNI DEL p50 / host-local DEL alone p50', delP50, hlDelP50);
  } finally {
    await api.stop();
    await daemon.stop();
    sh(`echo 0 > /sys/class/net/${netdev}/device/sriov_numvfs`);
    await rm(dir, { recursive: true, force: true });
  }
}

/** On the host: boots the lab VM with an igb and runs this file inside (root and the VM needed). */
function bootVm(b: Bench): void {
  benchInLabVm(b, { name: 'CNI bench', script: 'bench-cni.sh', vmArgs: ['--igb'] });
}

export async function run(b: Bench): Promise<void> {
  if (process.env.NICVISOR_LAB === 'igb') await inVm(b);
  else bootVm(b);
}

// Inside the lab VM (test/lab/vm/bench-cni.sh): node dist/bench/cni.js [--json FILE]
if (process.argv[1] === fileURLToPath(import.meta.url))
  await runBenches([{ name: 'cni', run }], parseBenchArgs(process.argv.slice(2)));
