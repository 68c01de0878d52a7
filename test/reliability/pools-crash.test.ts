// Concurrency property test of claims on the sim NIC: many owners claim and release at once
// while the daemon is SIGKILLed at random points and restarted. After every restart: no VF
// owned twice, no MAC twice, every acknowledged claim present. At the end, with every owner
// process gone, one sweep leaves no claim and no claim policy behind (0 leaks).
// NICVISOR_SEED replays a run; NICVISOR_POOL_KILLS sets the number of crashes (default 6).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { ApiClient } from '../../src/cli/client.js';
import { poolApi } from '../../src/cli/pool-client.js';
import type { Claim, PoolView } from '../../src/model/index.js';
import { killHard, type Proc, type ProcEnv, procEnv, startProc, stopProc } from './daemon-proc.js';
import { Prng } from './prng.js';

const KILLS = Number(process.env.NICVISOR_POOL_KILLS ?? 6);
const WORKERS = 10;
const IFNAMES = ['e0', 'e1'];

let env: ProcEnv;
let proc: Proc | null = null;
const sleepers: ChildProcess[] = [];

before(async () => {
  env = await procEnv({ poolSweepIntervalMs: 200 });
  const config = JSON.parse(await readFile(env.configFile, 'utf8'));
  config.pools = [
    {
      name: 'p',
      pfs: ['sim:nic0/0', 'sim:nic0/1'],
      physicalNetwork: 'net',
      // 16 VFs for up to 20 owners' claims: the pool runs full, so refusals happen too.
      profile: {
        vlans: [10],
        mac: { mode: 'range', from: '02:00:00:00:00:01', to: '02:00:00:00:00:30' },
      },
    },
  ];
  await writeFile(env.configFile, JSON.stringify(config));
});
after(async () => {
  if (proc) await stopProc(proc);
  for (const s of sleepers) s.kill('SIGKILL');
  await rm(env.dir, { recursive: true, force: true });
});

function sleeper(): Promise<number> {
  const c = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 600000)'], { stdio: 'ignore' });
  sleepers.push(c);
  return new Promise((r) => c.once('spawn', () => r(c.pid!)));
}

/** The invariants on what the daemon answers after a restart. */
function checkInvariants(
  view: PoolView,
  acked: Map<string, Claim>,
  vfs: { name: string; pf: string; vf: number; macs: string[] }[],
): void {
  const slots = new Set<string>();
  const macs = new Set<string>();
  for (const c of view.claims) {
    const slot = `${c.pf}#${c.vf}`;
    assert.ok(!slots.has(slot), `VF ${slot} owned twice`);
    slots.add(slot);
    assert.ok(!macs.has(c.mac), `MAC ${c.mac} twice`);
    macs.add(c.mac);
  }
  const ids = new Set(view.claims.map((c) => c.id));
  for (const id of acked.keys()) assert.ok(ids.has(id), `acknowledged claim ${id} lost`);
  const policySlots = new Map<string, string>();
  for (const v of vfs) {
    const slot = `${v.pf}#${v.vf}`;
    assert.ok(!policySlots.has(slot), `two policies on ${slot}`);
    policySlots.set(slot, v.name);
  }
  for (const c of view.claims)
    assert.equal(policySlots.get(`${c.pf}#${c.vf}`), c.policy, `claim ${c.id} has its policy`);
}

it(`claims survive ${KILLS} SIGKILLs of the daemon: no VF or MAC twice, no acknowledged claim lost, no leak`, async (t) => {
  const rng = Prng.fromEnv();
  t.diagnostic(`seed ${rng.seed} (NICVISOR_SEED to replay)`);
  const pids = await Promise.all(Array.from({ length: WORKERS }, () => sleeper()));
  /** Claims acknowledged and not released (by acknowledged release). */
  const acked = new Map<string, Claim>();
  /** Releases cut off by a crash: the claim may or may not be there after the restart. */
  const uncertain = new Map<string, Claim>();
  let ops = 0;
  let refused = 0;
  for (let round = 0; round <= KILLS; round++) {
    proc = await startProc(env);
    const c = new ApiClient({ socket: env.socket, maxSockets: WORKERS });
    const api = poolApi(c);
    const present = new Set((await api.pool('p')).claims.map((x) => x.id));
    for (const [id, claim] of uncertain) if (present.has(id)) acked.set(id, claim);
    uncertain.clear();
    checkInvariants(await api.pool('p'), acked, await c.vfs().then((v) => v.map((x) => x.policy)));
    let alive = true;
    const worker = async (w: number) => {
      const owner = { kind: 'process' as const, id: String(pids[w]) };
      while (alive) {
        const ifname = rng.pick(IFNAMES);
        const mine = [...acked.values()].find(
          (x) => x.owner.id === owner.id && x.ifname === ifname,
        );
        try {
          if (mine && rng.next() < 0.6) {
            acked.delete(mine.id);
            uncertain.set(mine.id, mine);
            await api.release(mine.id, mine.fence);
            uncertain.delete(mine.id);
          } else {
            const r = await api.claim('p', { owner, ifname });
            acked.set(r.claim.id, r.claim);
          }
          ops++;
        } catch (err) {
          const m = (err as Error).message;
          if (/no VF for|does not exist/.test(m)) refused++;
          else if (!/cannot reach|socket hang up|ECONNRESET|EPIPE|503/.test(m)) throw err;
        }
      }
    };
    const running = Array.from({ length: WORKERS }, (_, w) => worker(w));
    await new Promise((r) => setTimeout(r, rng.int(300, 1200)));
    if (round < KILLS) await killHard(proc);
    else {
      alive = false;
      await Promise.all(running);
      await stopProc(proc);
    }
    alive = false;
    await Promise.all(running);
    c.close();
    proc = null;
  }
  t.diagnostic(
    `${ops} acknowledged operations, ${refused} refusals (pool full / released meanwhile), ${acked.size} claims held`,
  );
  // Final: owners die; the sweeper must leave nothing behind.
  proc = await startProc(env);
  const c = new ApiClient({ socket: env.socket });
  try {
    checkInvariants(
      await poolApi(c).pool('p'),
      acked,
      (await c.vfs()).map((x) => x.policy),
    );
    for (const s of sleepers) s.kill('SIGKILL');
    const end = Date.now() + 10_000;
    let view = await poolApi(c).pool('p');
    while (view.claims.length > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      view = await poolApi(c).pool('p');
    }
    assert.deepEqual(view.claims, [], 'every claim of a dead owner reclaimed');
    assert.deepEqual(
      (await c.vfs()).filter((v) => v.name.startsWith('claim-')),
      [],
      'no claim policy left',
    );
  } finally {
    c.close();
  }
});
