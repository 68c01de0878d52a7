/**
 * Fleet figures on a real 3-member etcd cluster with 50 in-process agents on sim NICs (the
 * agents `serve --fleet` builds, through the test harness). Anchors: the SR-IOV operator
 * reaches `InProgress` ~5 s after a policy is created and settles in minutes per node;
 * Neutron's SR-IOV agent polls every 2 s. Goals: a change reaches all 50 hosts in sync with
 * p99 ≤ 2 s and max ≤ 5 s (fleet-wide and label-scoped); an in-process agent costs ≤ 8 MiB;
 * a spawned `serve --fleet` ≤ 100 MiB RSS and ≤ 1.5× the same `serve` without the fleet
 * (the etcd client: gRPC and protobufjs).
 *
 * Time to in sync is measured by the bench's own clock: from the write of the document to the
 * status put (watched from etcd) that reports the host at that revision. The split comes
 * from the statuses: `lagMs` (written → received by the agent) is the etcd part, `applyMs`
 * (validate, claim, commit, reconcile) the host part.
 *
 * Claims across the fleet: a pool from the fleet's desired state on every host, claims on 10
 * hosts at once, each recorded in etcd (owner on one host, MAC once per network: a read and
 * one transaction); baseline: the same claims on the same hosts with the fleet guard off
 * (files mode), same run. Goal: p99 ≤ 250 ms, and ≤ 3× the local claim at p50.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdFleet } from '../src/daemon/fleet/etcd.js';
import { parseFleetUrl } from '../src/daemon/fleet/url.js';
import { silentLogger } from '../src/daemon/logger.js';
import { type FleetDoc, HostStatus } from '../src/model/fleet.js';
import { ClaimBody } from '../src/model/index.js';
import { EtcdCluster, etcdMissing } from '../test/daemon/fleet/etcd-cluster.js';
import {
  type Host,
  PF,
  startHost,
  stopHost,
  tempRoot,
  until,
} from '../test/daemon/fleet/fleet-harness.js';
import { atMost, type Bench } from './_report.js';
import { percentile } from './_stats.js';

const AGENTS = 50;
const ROUNDS = 5;
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const MiB = 1024 * 1024;

interface Round {
  /** Write → in-sync status, per host, ms. */
  syncMs: number[];
  lagMs: number[];
  applyMs: number[];
  keys: number;
  bytes: number;
}

const vfDoc = (vlan: number, matchLabels: Record<string, string> = {}): FleetDoc => ({
  kind: 'vf',
  name: matchLabels.rack ? 'scoped' : 'base',
  selector: { matchLabels },
  policy: {
    name: matchLabels.rack ? 'scoped' : 'base',
    pf: PF,
    vf: matchLabels.rack ? 1 : 0,
    vlans: [vlan],
  },
  writtenAt: new Date().toISOString(),
});

async function round(
  cluster: EtcdCluster,
  fleet: EtcdFleet,
  doc: FleetDoc,
  hosts: Host[],
): Promise<Round> {
  const c = cluster.client();
  const ns = c.namespace('/nicvisor/');
  const r: Round = { syncMs: [], lagMs: [], applyMs: [], keys: 0, bytes: 0 };
  const want = new Set(hosts.map((h) => h.name));
  let rev = Number.POSITIVE_INFINITY;
  let t0 = 0;
  const seen = new Set<string>();
  const w = await ns.watch().prefix('').create();
  w.on('put', (kv) => {
    r.keys++;
    r.bytes += kv.key.length + kv.value.length;
    const key = kv.key.toString();
    if (!key.startsWith('status/')) return;
    const s = HostStatus.safeParse(JSON.parse(kv.value.toString()));
    if (!s.success || !want.has(s.data.host) || seen.has(s.data.host)) return;
    if (s.data.revision < rev || s.data.syncState === 'syncing') return;
    seen.add(s.data.host);
    r.syncMs.push(performance.now() - t0);
    if (s.data.lagMs !== null) r.lagMs.push(s.data.lagMs);
    r.applyMs.push(s.data.applyMs);
  });
  t0 = performance.now();
  rev = (
    await fleet.writeDocs({ put: [{ ...doc, writtenAt: new Date().toISOString() }], delete: [] })
  ).revision;
  await until(() => seen.size === want.size, 30_000, `${want.size} hosts in sync`);
  // Let the last status puts of the round land before counting.
  await new Promise((res) => setTimeout(res, 300));
  await w.cancel();
  c.close();
  return r;
}

function sorted(rounds: Round[], k: 'syncMs' | 'lagMs' | 'applyMs'): number[] {
  return rounds.flatMap((r) => r[k]).sort((a, b) => a - b);
}

function report(b: Bench, what: string, n: number, rounds: Round[]): void {
  const s = sorted(rounds, 'syncMs');
  b.figure(`${what}: all ${n} in sync p50`, percentile(s, 50), 'ms');
  b.figure(`${what}: all ${n} in sync p99`, percentile(s, 99), 'ms', atMost(2000));
  b.figure(`${what}: all ${n} in sync max`, s[s.length - 1], 'ms', atMost(5000));
  b.figure(
    `${what}: etcd part (written → agent) p50`,
    percentile(sorted(rounds, 'lagMs'), 50),
    'ms',
  );
  b.figure(
    `${what}: reconcile part (agent sync) p50`,
    percentile(sorted(rounds, 'applyMs'), 50),
    'ms',
  );
  const keys = rounds.reduce((a, r) => a + r.keys, 0) / rounds.length;
  const bytes = rounds.reduce((a, r) => a + r.bytes, 0) / rounds.length;
  b.figure(`${what}: keys written to etcd per change`, keys, 'keys', null, '1 document + statuses');
  b.figure(`${what}: bytes written to etcd per change`, bytes / 1024, 'KiB');
}

const CLAIM_HOSTS = 10;
const CLAIMS_PER_HOST = 4;

/** Claim latency per claim, ms: CLAIM_HOSTS hosts claiming at once, then all released. */
async function claimRound(hosts: Host[], tag: string): Promise<number[]> {
  const out: number[] = [];
  await Promise.all(
    hosts.map(async (h) => {
      const ids: string[] = [];
      for (let i = 0; i < CLAIMS_PER_HOST; i++) {
        const body = ClaimBody.parse({ owner: { kind: 'pod', id: `${tag}-${h.name}-${i}` } });
        const t = performance.now();
        const r = await h.daemon.pools.claims.claim('bench', body, 'bench');
        out.push(performance.now() - t);
        ids.push(r.claim.id);
      }
      for (const id of ids) await h.daemon.pools.claims.release(id, { who: 'bench' });
    }),
  );
  return out.sort((a, b) => a - b);
}

async function claimFigures(b: Bench, fleet: EtcdFleet, all: Host[]): Promise<void> {
  await fleet.writeDocs({
    put: [
      {
        kind: 'pool',
        name: 'bench',
        selector: { matchLabels: {} },
        policy: {
          name: 'bench',
          pfs: [PF],
          vfs: { from: 2, to: 7 },
          physicalNetwork: 'physnet1',
          profile: {
            vlans: [300],
            mac: { mode: 'range', from: '02:00:00:0c:00:00', to: '02:00:00:0c:ff:ff' },
          },
        },
      },
    ],
    delete: [],
  });
  const hosts = all.slice(0, CLAIM_HOSTS);
  await until(
    () => hosts.every((h) => h.daemon.storeState().main.pools.some((p) => p.name === 'bench')),
    30_000,
    'pool bench on the claim hosts',
  );
  await claimRound(hosts, 'warm');
  const fleetMs = await claimRound(hosts, 'fleet');
  const guards = hosts.map((h) => h.daemon.pools.claims.fleetGuard);
  for (const h of hosts) h.daemon.pools.claims.setGuard(null);
  let localMs: number[];
  try {
    localMs = await claimRound(hosts, 'local');
  } finally {
    for (const [i, h] of hosts.entries()) h.daemon.pools.claims.setGuard(guards[i]);
  }
  const n = `${CLAIM_HOSTS} hosts at once`;
  const f50 = b.figure(`claim across the fleet (${n}) p50`, percentile(fleetMs, 50), 'ms');
  b.figure(`claim across the fleet (${n}) p99`, percentile(fleetMs, 99), 'ms', atMost(250));
  const l50 = b.figure(`claim, fleet guard off (same hosts) p50`, percentile(localMs, 50), 'ms');
  b.ratio('claim across the fleet over a local claim, p50', f50, l50, atMost(3));
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) * 1024;
}

/** RSS of a spawned `serve` on the same config, with and without `--fleet` (same run). */
async function spawnedRss(
  root: string,
  cluster: EtcdCluster,
): Promise<{ plain: number; fleet: number }> {
  const host = await startHost(root, { name: 'spawned', labels: {}, url: cluster.url() });
  await stopHost(host);
  const socket = join(host.dir, 'api.sock');
  const serve = (extra: string[]) =>
    spawn(
      process.execPath,
      [MAIN, 'serve', '--config', host.configFile, '--socket', socket, ...extra],
      {
        stdio: 'ignore',
      },
    );
  const out = { plain: Number.NaN, fleet: Number.NaN };
  let p: ChildProcess | null = serve([]);
  try {
    await until(() => existsSync(socket), 20_000, 'plain daemon API');
    await new Promise((r) => setTimeout(r, 1000));
    out.plain = await rssOf(p.pid!);
    await stopped(p);
    p = serve(['--fleet', cluster.url(), '--host-name', 'spawned']);
    const fleet = new EtcdFleet(parseFleetUrl(cluster.url()), silentLogger());
    const { revision } = await fleet.snapshot();
    await until(
      async () =>
        (await fleet.statuses()).some((s) => s.host === 'spawned' && s.revision >= revision),
      20_000,
      'spawned agent in sync',
    );
    await fleet.close();
    await new Promise((r) => setTimeout(r, 1000));
    out.fleet = await rssOf(p.pid!);
  } finally {
    await stopped(p);
  }
  return out;
}

function stopped(p: ChildProcess | null): Promise<void> {
  if (!p || p.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

export async function run(b: Bench): Promise<void> {
  const missing = etcdMissing();
  if (missing) {
    console.log(`  · fleet: skipped (${missing})`);
    return;
  }
  const cluster = new EtcdCluster();
  const tmp = await tempRoot();
  const hosts: Host[] = [];
  try {
    await cluster.start(3);
    const fleet = new EtcdFleet(parseFleetUrl(cluster.url()), silentLogger());
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    for (let i = 0; i < AGENTS; i++)
      hosts.push(
        await startHost(tmp.root, {
          name: `h${i}`,
          labels: { rack: `r${i % 5}` },
          url: cluster.url(),
        }),
      );
    await round(cluster, fleet, vfDoc(100), hosts); // warm-up: every host gets the VF
    const wide: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) wide.push(await round(cluster, fleet, vfDoc(101 + i), hosts));
    report(b, 'fleet-wide change', AGENTS, wide);
    const r1 = hosts.filter((h) => h.labels.rack === 'r1');
    const scoped: Round[] = [];
    for (let i = 0; i < ROUNDS; i++)
      scoped.push(await round(cluster, fleet, vfDoc(201 + i, { rack: 'r1' }), r1));
    report(b, `label-scoped change (rack=r1)`, r1.length, scoped);
    const perAgent = (process.memoryUsage().rss - rss0) / AGENTS;
    b.figure(
      'RSS per in-process agent (daemon + agent + sim NIC)',
      perAgent / MiB,
      'MiB',
      atMost(8),
    );
    await claimFigures(b, fleet, hosts);
    await fleet.close();
    const rss = await spawnedRss(tmp.root, cluster);
    const plain = b.figure(
      'RSS of a spawned serve (same config, no fleet)',
      rss.plain / MiB,
      'MiB',
    );
    const agent = b.figure('RSS of a spawned serve --fleet', rss.fleet / MiB, 'MiB', atMost(100));
    b.ratio('serve --fleet RSS over plain serve', agent, plain, atMost(1.5));
  } finally {
    for (const h of hosts) await stopHost(h).catch(() => undefined);
    await cluster.stop();
    await tmp.cleanup();
  }
}
