/**
 * Pool figures (issue 12; anchors: sriov-cni resets a VF in 1-2 s after a pod delete,
 * containerd's whole default CNI setup takes ~1.5 s):
 * - claim → VF configured on the sim NIC, over the API socket of a spawned daemon: p50/p99
 *   of a claim's answer (VF chosen, ledger written durably, profile committed through the
 *   store, VF reconciled in sync) and of a release (restored, read back, verified), with a
 *   same-run baseline: a PUT of the same VF policy by hand, which does the store + reconcile
 *   part alone;
 * - claims per second under contention: 16 owners claiming and releasing at once;
 * - migration prepare → commit between two spawned daemons (the CLI's driver: source mark,
 *   target reservation, source release, target activation), with a same-run baseline: a
 *   claim plus a release, which the hand-off does one of on each host.
 * Goals: claim and release p99 ≤ 100 ms (a tenth of sriov-cni's VF reset), a claim ≤ 3× a
 * hand PUT (the ledger adds one durable write to the store's), ≥ 20 claim + release cycles
 * per second under contention (each cycle is ~16 fsyncs: ledger and store, both durable
 * before the answer; a node starts far fewer pods per second); a migration hand-off p99
 * ≤ 200 ms and ≤ 3× a claim + release (its two extra durable ledger writes and four API
 * calls; libvirt's own migration downtime is hundreds of ms).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../src/cli/client.js';
import { commit, prepare } from '../src/cli/migrate.js';
import { poolApi } from '../src/cli/pool-client.js';
import { atLeast, atMost, type Bench } from './_report.js';
import { percentile } from './_stats.js';

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const ROUNDS = 300;
const OWNERS = 16;

async function start(): Promise<{ dir: string; socket: string; child: ChildProcess }> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-bench-pools-'));
  const stateDir = join(dir, 'state');
  const socket = join(dir, 'nv.sock');
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  const configFile = join(dir, 'nicvisor.json');
  await writeFile(
    configFile,
    JSON.stringify({
      driver: 'sim',
      sim: { nics: [{ name: 'nic0', ports: 2, totalVfs: 32 }], demoTraffic: false },
      daemon: {
        stateDir,
        socket,
        logLevel: 'warn',
        driftIntervalMs: 60_000,
        statsIntervalMs: 60_000,
      },
      pfs: [
        { pf: 'sim:nic0/0', numVfs: 32 },
        { pf: 'sim:nic0/1', numVfs: 32 },
      ],
      pools: [
        {
          name: 'bench',
          pfs: ['sim:nic0/0', 'sim:nic0/1'],
          vfs: { from: 1, to: 31 },
          physicalNetwork: 'net',
          migratable: true,
          profile: { vlans: [100], maxTxRate: 1000, mac: { mode: 'random' } },
        },
      ],
    }),
  );
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('API on')) ok();
    });
    child.once('exit', (code) => fail(new Error(`daemon exited ${code}: ${out}`)));
  });
  return { dir, socket, child };
}

const ms = (t0: number) => performance.now() - t0;

export async function run(b: Bench): Promise<void> {
  const d = await start();
  const c = new ApiClient({ socket: d.socket, maxSockets: OWNERS });
  const api = poolApi(c);
  try {
    const claim: number[] = [];
    const release: number[] = [];
    const put: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now();
      const r = await api.claim('bench', { owner: { kind: 'vm', id: `seq-${i}` } });
      claim.push(ms(t0));
      if (r.syncState !== 'in-sync') throw new Error(`claim ${r.claim.id} answered ${r.syncState}`);
      t0 = performance.now();
      await api.release(r.claim.id);
      release.push(ms(t0));
      // Baseline: the same kind of VF policy put and deleted by hand on VF 0.
      t0 = performance.now();
      await c.putVf('hand', {
        pf: 'sim:nic0/0',
        vf: 0,
        vlans: [100],
        maxTxRate: 1000,
        macs: [`02:00:00:00:ff:${(i % 250).toString(16).padStart(2, '0')}`],
      });
      put.push(ms(t0));
      await c.deleteVf('hand');
    }
    for (const a of [claim, release, put]) a.sort((x, y) => x - y);
    b.figure('claim → VF configured p50 (sim, API)', percentile(claim, 50), 'ms');
    const p99 = b.figure(
      'claim → VF configured p99 (sim, API)',
      percentile(claim, 99),
      'ms',
      atMost(100),
    );
    b.figure(
      'release → VF restored and verified p99 (sim, API)',
      percentile(release, 99),
      'ms',
      atMost(100),
    );
    const base = b.figure(
      'baseline: PUT of the same VF policy by hand p99',
      percentile(put, 99),
      'ms',
    );
    b.ratio('claim p99 over a hand PUT p99', p99, base, atMost(3));

    let done = 0;
    let refused = 0;
    const until = performance.now() + 3000;
    await Promise.all(
      Array.from({ length: OWNERS }, async (_, w) => {
        while (performance.now() < until) {
          try {
            const r = await api.claim('bench', { owner: { kind: 'vm', id: `busy-${w}` } });
            await api.release(r.claim.id);
            done++;
          } catch {
            refused++;
          }
        }
      }),
    );
    b.figure(
      `claims/s with ${OWNERS} owners at once (claim + release each)`,
      done / 3,
      '/s',
      atLeast(20),
      refused ? `${refused} refused` : undefined,
    );
  } finally {
    c.close();
    await stop(d);
  }
  await migration(b);
}

async function stop(d: { dir: string; child: ChildProcess }): Promise<void> {
  d.child.kill('SIGTERM');
  await new Promise((r) => d.child.once('exit', r));
  await rm(d.dir, { recursive: true, force: true });
}

const MIGRATIONS = 60;

/** Claims moved from daemon A to daemon B by the CLI's driver, one at a time. */
async function migration(b: Bench): Promise<void> {
  const [da, db] = [await start(), await start()];
  const hosts = {
    source: new ApiClient({ socket: da.socket }),
    target: new ApiClient({ socket: db.socket }),
  };
  try {
    const moved: number[] = [];
    const local: number[] = [];
    for (let i = 0; i < MIGRATIONS; i++) {
      const c = await poolApi(hosts.source).claim('bench', { owner: { kind: 'vm', id: `m-${i}` } });
      let t0 = performance.now();
      const p = await prepare(hosts, c.claim.id);
      const r = await commit(hosts, c.claim.id, p.token);
      moved.push(ms(t0));
      if (r.target.syncState !== 'in-sync' || r.target.claim.mac !== c.claim.mac)
        throw new Error(`migration of ${c.claim.id} answered ${r.target.syncState}`);
      await poolApi(hosts.target).release(r.target.claim.id);
      // Baseline: what one host does for a claim and its release.
      t0 = performance.now();
      const x = await poolApi(hosts.target).claim('bench', { owner: { kind: 'vm', id: `l-${i}` } });
      await poolApi(hosts.target).release(x.claim.id);
      local.push(ms(t0));
    }
    moved.sort((x, y) => x - y);
    local.sort((x, y) => x - y);
    b.figure('migration prepare → commit p50 (two sim daemons, API)', percentile(moved, 50), 'ms');
    const p99 = b.figure(
      'migration prepare → commit p99 (two sim daemons, API)',
      percentile(moved, 99),
      'ms',
      atMost(200),
    );
    const base = b.figure(
      'baseline: claim + release on one daemon p99',
      percentile(local, 99),
      'ms',
    );
    b.ratio('migration p99 over claim + release p99', p99, base, atMost(3));
  } finally {
    hosts.source.close();
    hosts.target.close();
    await stop(da);
    await stop(db);
  }
}
