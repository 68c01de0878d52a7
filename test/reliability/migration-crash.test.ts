// Migration hand-off under crashes: two daemons (two processes, two sim NICs), a claim moved
// from A to B while either daemon is SIGKILLed during each step of prepare, commit and abort,
// between the two hosts' halves of commit, and with the driver gone after prepare. After the
// restart the driver re-runs its command (or the expiry resolves it), and the invariants
// hold: exactly one active owner of the MAC, nothing reserved or releasing left, every claim
// policy backed by a claim, the source's VF restored after a commit (the MAC is free to claim
// there again), the target's freed after an abort. NICVISOR_SEED replays the kill timings.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { ApiClient } from '../../src/cli/client.js';
import { abort, commit, type Hosts, prepare } from '../../src/cli/migrate.js';
import { migrationApi, poolApi } from '../../src/cli/pool-client.js';
import type { Claim } from '../../src/model/index.js';
import { killHard, type Proc, type ProcEnv, procEnv, startProc, stopProc } from './daemon-proc.js';
import { Prng } from './prng.js';

type Side = 'A' | 'B';
interface Host {
  env: ProcEnv;
  proc: Proc | null;
  client: ApiClient;
  log: string;
}
const hosts: Record<Side, Host> = {} as Record<Side, Host>;

const POOL = {
  name: 'mig',
  pfs: ['sim:nic0/0', 'sim:nic0/1'],
  physicalNetwork: 'physnet1',
  migratable: true,
  profile: {
    vlans: [100],
    maxTxRate: 1000,
    mac: { mode: 'range', from: '02:00:00:00:09:00', to: '02:00:00:00:09:ff' },
  },
};

async function setUp(side: Side): Promise<void> {
  const env = await procEnv({ poolSweepIntervalMs: 200 });
  const config = JSON.parse(await readFile(env.configFile, 'utf8'));
  config.pools = [POOL];
  await writeFile(env.configFile, JSON.stringify(config));
  hosts[side] = { env, proc: null, client: new ApiClient({ socket: env.socket }), log: '' };
  await start(side);
}

async function start(side: Side): Promise<void> {
  const h = hosts[side];
  h.client.close();
  h.proc = await startProc(h.env);
  h.client = new ApiClient({ socket: h.env.socket });
}

async function kill(side: Side): Promise<void> {
  const h = hosts[side];
  if (!h.proc) return;
  await killHard(h.proc);
  h.log += h.proc.output();
  h.proc = null;
}

const drive = (): Hosts => ({ source: hosts.A.client, target: hosts.B.client });

before(async () => {
  await setUp('A');
  await setUp('B');
});
after(async () => {
  for (const h of Object.values(hosts)) {
    h.client.close();
    if (h.proc) await stopProc(h.proc);
    await rm(h.env.dir, { recursive: true, force: true });
  }
});

async function claimsOf(side: Side): Promise<Claim[]> {
  return (await poolApi(hosts[side].client).pool('mig')).claims;
}

/** The invariants once a migration of `mac` ended with the claim on `owner`. */
async function checkEnd(mac: string, owner: Side, what: string): Promise<void> {
  const a = await claimsOf('A');
  const b = await claimsOf('B');
  const active = [
    ...a
      .filter((c) => c.mac === mac && (c.state === 'active' || c.state === 'migrating'))
      .map(() => 'A'),
    ...b
      .filter((c) => c.mac === mac && (c.state === 'active' || c.state === 'migrating'))
      .map(() => 'B'),
  ];
  assert.deepEqual(active, [owner], `${what}: exactly one active owner of ${mac}, on ${owner}`);
  for (const [side, claims] of [
    ['A', a],
    ['B', b],
  ] as const) {
    const left = claims.filter((c) => c.state !== 'active');
    assert.deepEqual(
      left.map((c) => `${c.id}:${c.state}`),
      [],
      `${what}: nothing in flight on ${side}`,
    );
    const policies = (await hosts[side].client.vfs())
      .map((v) => v.name)
      .filter((n) => n.startsWith('claim-'))
      .sort();
    assert.deepEqual(
      policies,
      claims.map((c) => c.policy).sort(),
      `${what}: claim policies on ${side}`,
    );
  }
  // The other host's VF gave the MAC back: it is free to claim there (the daemon counts
  // MACs left on free VFs as taken).
  const other: Side = owner === 'A' ? 'B' : 'A';
  const probe = await poolApi(hosts[other].client).claim('mig', {
    owner: { kind: 'vm', id: 'probe' },
    mac,
  });
  await poolApi(hosts[other].client).release(probe.claim.id);
  const mine = (owner === 'A' ? a : b).find((c) => c.mac === mac)!;
  await poolApi(hosts[owner].client).release(mine.id);
}

/** Right after a restart, before the driver runs again: never two owners, nothing applied to a reservation. */
async function checkMid(mac: string, what: string): Promise<void> {
  let owners = 0;
  for (const side of ['A', 'B'] as const) {
    const claims = await claimsOf(side);
    owners += claims.filter(
      (c) => c.mac === mac && (c.state === 'active' || c.state === 'migrating'),
    ).length;
    const policies = new Set((await hosts[side].client.vfs()).map((v) => v.name));
    for (const c of claims)
      if (c.state === 'reserved')
        assert.ok(!policies.has(c.policy), `${what}: reservation ${c.id} on ${side} has a policy`);
  }
  assert.ok(owners <= 1, `${what}: ${owners} owners of ${mac} after the restart`);
}

type Step =
  | 'prepare/source'
  | 'prepare/target'
  | 'commit/source'
  | 'commit/target'
  | 'abort/target'
  | 'abort/source';

/** Run one protocol step as the driver would (one call to one host). */
async function step(s: Step, claim: string, token: string, ticket: { t?: unknown }): Promise<void> {
  const src = migrationApi(hosts.A.client);
  const dst = migrationApi(hosts.B.client);
  if (s === 'prepare/source')
    ticket.t = await src.prepare(claim, { token, target: 'B', ttlSeconds: 300 });
  else if (s === 'prepare/target') await dst.reserve({ ticket: ticket.t as never, source: 'A' });
  else if (s === 'commit/source') await src.commitSource(claim, token);
  else if (s === 'commit/target') await dst.commitTarget(token);
  else if (s === 'abort/target') await dst.abortTarget(token);
  else await src.abortSource(claim, token);
}

const ORDER: Record<'prepare' | 'commit' | 'abort', Step[]> = {
  prepare: ['prepare/source', 'prepare/target'],
  commit: ['commit/source', 'commit/target'],
  abort: ['abort/target', 'abort/source'],
};

const transient = /cannot reach|socket hang up|ECONNRESET|EPIPE|503/;

it('a SIGKILL of either daemon at each step of prepare, commit and abort: the re-run driver ends with one owner, nothing leaked', async (t) => {
  const rng = Prng.fromEnv();
  t.diagnostic(`seed ${rng.seed} (NICVISOR_SEED to replay)`);
  let n = 0;
  for (const phase of ['prepare', 'commit', 'abort'] as const) {
    for (const s of ORDER[phase]) {
      for (const victim of ['A', 'B'] as const) {
        n++;
        const what = `${s}, ${victim} killed`;
        const c = (
          await poolApi(hosts.A.client).claim('mig', { owner: { kind: 'vm', id: `g${n}` } })
        ).claim;
        const token = `tok-${n}-${rng.int(1000, 9999)}`;
        const ticket: { t?: unknown } = {};
        // The steps before this one, as the driver runs them.
        const before: Step[] =
          phase === 'prepare'
            ? ORDER.prepare.slice(0, ORDER.prepare.indexOf(s))
            : [...ORDER.prepare, ...ORDER[phase].slice(0, ORDER[phase].indexOf(s))];
        for (const b of before) await step(b, c.id, token, ticket);
        const call = step(s, c.id, token, ticket).catch((err: Error) => {
          if (!transient.test(err.message)) throw err;
        });
        await new Promise((r) => setTimeout(r, rng.int(0, 20)));
        await kill(victim);
        await call;
        await start(victim);
        await checkMid(c.mac, what);
        // The driver runs its command again with the same token; a prepare is then
        // committed or aborted (both ways are taken).
        const end =
          phase === 'abort' || (phase === 'prepare' && victim === 'B') ? 'abort' : 'commit';
        if (phase === 'prepare') await prepare(drive(), c.id, { token });
        if (end === 'commit') await commit(drive(), c.id, token);
        else await abort(drive(), c.id, token);
        await checkEnd(c.mac, end === 'commit' ? 'B' : 'A', what);
      }
    }
  }
  // Between the two hosts' halves of commit: the source released, the driver and the
  // target die before the target activates; the re-run commit finishes it.
  {
    const c = (await poolApi(hosts.A.client).claim('mig', { owner: { kind: 'vm', id: 'half' } }))
      .claim;
    const p = await prepare(drive(), c.id);
    await migrationApi(hosts.A.client).commitSource(c.id, p.token);
    await kill('B');
    await start('B');
    assert.equal((await migrationApi(hosts.B.client).get(p.token)).state, 'reserved');
    await assert.rejects(abort(drive(), c.id, p.token), /was released on the source already/);
    await commit(drive(), c.id, p.token);
    await checkEnd(c.mac, 'B', 'between the halves of commit');
  }
  for (const side of ['A', 'B'] as const) {
    const out = hosts[side].log + (hosts[side].proc?.output() ?? '');
    assert.doesNotMatch(
      out,
      /does not read back as before its claim/,
      `${side}: every release verified`,
    );
  }
});

it('the driver gone after prepare: the reservation is swept and the source claim is active again once the hand-off expires', async () => {
  const c = (await poolApi(hosts.A.client).claim('mig', { owner: { kind: 'vm', id: 'orphan' } }))
    .claim;
  const p = await prepare(drive(), c.id, { ttlSeconds: 5 });
  await kill('B');
  await start('B');
  const deadline = Date.now() + 20_000;
  let a = await claimsOf('A');
  let b = await claimsOf('B');
  while ((a[0]?.state !== 'active' || b.length > 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    a = await claimsOf('A');
    b = await claimsOf('B');
  }
  assert.equal(p.reservation.claim.state, 'reserved');
  await checkEnd(c.mac, 'A', 'expired hand-off');
});
