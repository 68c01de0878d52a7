/**
 * The metrics proved with the real thing: Debian's prometheus scrapes the daemon (TCP, bearer
 * token) every 500 ms, and PromQL over its HTTP API answers a rate over traffic of a known
 * rate and a join of `sriov_vf_*` with `nicvisor_vf_sync_state`. Skips when prometheus is
 * not installed (apt-get install -y prometheus; .ci/run installs it).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildFrame } from '../../src/drivers/sim/build.js';
import { DEMO_GATEWAY_MAC } from '../../src/drivers/sim/demo.js';
import { startWebDaemon, type WebDaemon } from '../web/kit.js';
import { until } from './harness.js';

const PROMETHEUS = process.env.NICVISOR_PROMETHEUS ?? '/usr/bin/prometheus';
const skip = existsSync(PROMETHEUS)
  ? false
  : `${PROMETHEUS} not found: install Debian's prometheus (apt-get install -y prometheus) or set NICVISOR_PROMETHEUS`;

/** Frames per second sent to web-1, paced by wall time so a busy event loop cannot slow it. */
const RATE = 200;

let d: WebDaemon;
let prom: ChildProcess | null = null;
let promUrl = '';
let dir = '';
let traffic: NodeJS.Timeout | null = null;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(q: string): Promise<PromSample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { result: PromSample[] } };
  assert.equal(body.status, 'success', `${q}: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** Send RATE frames a second from the wire to web-1 (its port VLAN tag on the wire). */
function startTraffic(): void {
  const pf = d.sim.nic.pf('sim:nic0/0');
  const s = pf.vfs[0].settings;
  const frame = buildFrame({
    dst: s.mac,
    src: DEMO_GATEWAY_MAC,
    tags: s.vlans.length ? [{ proto: s.vlanProto, vid: s.vlans[0] }] : [],
    size: 128,
  });
  const t0 = Date.now();
  let sent = 0;
  traffic = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) * RATE) / 1000);
    for (; sent < due; sent++) d.sim.nic.sendFromWire(pf.id, frame);
  }, 20);
}

before(async () => {
  if (skip) return;
  d = await startWebDaemon({ demoTraffic: false, statsIntervalMs: 100 });
  dir = await mkdtemp(join(tmpdir(), 'nicvisor-prom-'));
  const target = new URL(d.base);
  await writeFile(
    join(dir, 'prometheus.yml'),
    JSON.stringify({
      global: { scrape_interval: '500ms', scrape_timeout: '400ms', evaluation_interval: '1s' },
      scrape_configs: [
        {
          job_name: 'nicvisor',
          authorization: { type: 'Bearer', credentials: d.token },
          static_configs: [{ targets: [target.host] }],
        },
      ],
    }),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prom.stderr?.on('data', (c) => {
    log += c;
  });
  startTraffic();
  await until(
    async () => {
      if (prom?.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
      const r = await fetch(`${promUrl}/api/v1/targets`).catch(() => null);
      if (!r?.ok) return false;
      const t = (await r.json()) as { data: { activeTargets: { health: string }[] } };
      return t.data.activeTargets[0]?.health === 'up';
    },
    20_000,
    'prometheus scraping the daemon',
  );
});

after(async () => {
  if (traffic) clearInterval(traffic);
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom?.once('exit', r));
    prom.kill('SIGTERM');
    await exited;
  }
  await d?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('PromQL: rate() over the sim’s known traffic', { skip }, async () => {
  // The series must be older than the rate window: rate() over a window the series starts in
  // extrapolates only half a scrape back, and so understates (a 3.5 s-old series: ×0.74).
  await until(
    async () =>
      Number(
        (await query('count_over_time(sriov_vf_rx_packets{name="web-1"}[7s])'))[0]?.value[1] ?? 0,
      ) >= 12,
    20_000,
    'six seconds of scrapes',
  );
  const [r] = await query('rate(sriov_vf_rx_packets{name="web-1"}[5s])');
  assert.ok(r, 'a rate for web-1');
  assert.equal(r.metric.pf, 'nic0p0');
  assert.equal(r.metric.numa_node, '0');
  const rate = Number(r.value[1]);
  // Scrapes see the counters of a stats read up to 100 ms old: the rate is RATE give or take.
  assert.ok(rate > RATE * 0.75 && rate < RATE * 1.25, `rate ${rate}/s, sent ${RATE}/s`);
  const bytes = Number((await query('rate(sriov_vf_rx_bytes{name="web-1"}[5s])'))[0].value[1]);
  assert.ok(Math.abs(bytes / rate - 128) < 8, `${bytes} B/s for ${rate} frames/s of 128 bytes`);
  const idle = await query('rate(sriov_vf_rx_packets{name="db-1"}[5s])');
  assert.equal(Number(idle[0].value[1]), 0, 'a VF without traffic has rate 0');
});

test('PromQL: sriov_vf_* joins nicvisor_vf_sync_state on (pf, vf)', { skip }, async () => {
  const joined = await query(
    'sriov_vf_rx_packets * on (pf, vf) group_left (state) (nicvisor_vf_sync_state == 1)',
  );
  const policies = (await d.api<{ name: string }[]>('GET', '/v1/vfs')).map((v) => v.name).sort();
  assert.deepEqual(joined.map((s) => s.metric.name).sort(), policies, 'one row per VF policy');
  for (const s of joined) assert.equal(s.metric.state, 'in-sync', s.metric.name);
  const web1 = joined.find((s) => s.metric.name === 'web-1');
  assert.ok(Number(web1?.value[1]) > 0, 'the counter value survives the join');
  // And through the pciAddr, as the exporter's own joins (sriov_kubepoddevice) use it.
  const byAddr = await query(
    'count(sriov_vf_tx_bytes * on (pciAddr) group_left () (nicvisor_vf_sync_state{state="in-sync"} == 1))',
  );
  assert.equal(Number(byAddr[0].value[1]), policies.length);
  const perNuma = await query('count by (numa_node) (sriov_vf_rx_bytes)');
  assert.deepEqual(
    perNuma.map((s) => s.metric.numa_node),
    ['0'],
  );
  const pfInfo = await query('nicvisor_pf_info');
  const pfs = (await d.api<{ id: string }[]>('GET', '/v1/pfs')).map((p) => p.id).sort();
  assert.deepEqual(pfInfo.map((s) => s.metric.pf_id).sort(), pfs, 'one nicvisor_pf_info per PF');
});
