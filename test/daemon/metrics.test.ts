/**
 * GET /metrics scraped over TCP (token) and the Unix socket, parsed with a Prometheus text
 * parser, and checked against the sim NIC's own counters: exporter names and labels, every
 * VF's value, guest decisions, sync state, reconcile durations, drift repairs.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import parse, { type Family } from 'parse-prometheus-text-format';
import { demoPolicies } from '../../src/daemon/demo.js';
import { PF_COUNTER_FIELDS, SRIOV_VF_COUNTERS } from '../../src/daemon/metrics.js';
import { buildFrame } from '../../src/drivers/sim/build.js';
import { DEMO_GATEWAY_MAC, DemoTraffic } from '../../src/drivers/sim/demo.js';
import type { GuestDecisionView, StatsView, VfView } from '../../src/model/index.js';
import { startWebDaemon, type WebDaemon } from '../web/kit.js';
import { until } from './harness.js';

let d: WebDaemon;

before(async () => {
  d = await startWebDaemon({ demoTraffic: false, statsIntervalMs: 100 });
});
after(() => d?.stop());

async function scrape(): Promise<Map<string, Family>> {
  const text = await d.api<string>('GET', '/metrics');
  return new Map(parse(text).map((f) => [f.name, f]));
}

/** Wait for a counters-cache refresh that started after now. */
async function freshStats(): Promise<void> {
  const t0 = Date.now();
  await until(
    async () => Date.parse((await d.api<StatsView>('GET', '/v1/stats')).at ?? '0') > t0 + 5,
    3000,
    'a counters-cache refresh',
  );
}

function unixGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(d.dir, 'api.sock'), path }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('per-VF counters carry the exporter names and labels and equal the NIC counters', async () => {
  const traffic = new DemoTraffic(d.sim.nic);
  for (let i = 0; i < 5; i++) traffic.step();
  // web-1 (port VLAN 100) sends frames from a MAC it does not own: anti-spoof drops them.
  const spoof = buildFrame({
    dst: DEMO_GATEWAY_MAC,
    src: '02:66:66:66:66:66',
    tags: [],
    size: 100,
  });
  for (let i = 0; i < 3; i++) d.sim.nic.sendFromVf('sim:nic0/0', 0, spoof);
  await freshStats();
  const fams = await scrape();
  const observed = await d.sim.observe({ stats: true });
  const names = new Map(
    (await d.api<VfView[]>('GET', '/v1/vfs')).map((v) => [`${v.pf}#${v.vf}`, v.name]),
  );

  for (const [metric, field] of Object.entries(SRIOV_VF_COUNTERS)) {
    const fam = fams.get(metric);
    assert.ok(fam, `${metric} is exported`);
    assert.equal(fam.type, 'COUNTER', metric);
    const samples = new Map(fam.metrics.map((m) => [`${m.labels?.pf}/${m.labels?.vf}`, m]));
    let vfs = 0;
    for (const pf of observed) {
      for (const vf of pf.vfs) {
        const s = samples.get(`${pf.netdev ?? pf.id}/${vf.vf}`);
        assert.ok(s, `${metric} for ${pf.id} VF ${vf.vf}`);
        assert.deepEqual(Object.keys(s.labels ?? {}).sort(), [
          'name',
          'numa_node',
          'pciAddr',
          'pf',
          'vf',
        ]);
        assert.equal(s.labels?.name, names.get(`${pf.id}#${vf.vf}`) ?? '');
        assert.match(s.labels?.pciAddr ?? '', /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
        assert.equal(s.labels?.pciAddr, vf.pciAddr);
        assert.equal(s.labels?.numa_node, String(pf.numaNode));
        assert.equal(Number(s.value), vf.counters[field], `${metric} ${pf.id}#${vf.vf}`);
        vfs++;
      }
    }
    assert.equal(fam.metrics.length, vfs, `${metric}: one sample per VF`);
  }
  const addrs = fams.get('sriov_vf_rx_bytes')!.metrics.map((m) => m.labels?.pciAddr);
  assert.equal(new Set(addrs).size, addrs.length, 'every VF has its own PCI address');
  const rx = fams.get('sriov_vf_rx_bytes')!.metrics.reduce((n, m) => n + Number(m.value), 0);
  assert.ok(rx > 0, 'traffic reached the counters');
  const spoofed = fams
    .get('nicvisor_vf_spoofed_total')!
    .metrics.find((m) => m.labels?.name === 'web-1');
  assert.equal(Number(spoofed?.value), 3);
});

test('PF series: counters equal the NIC, gauges, and nicvisor_pf_info maps pf to the PF id', async () => {
  new DemoTraffic(d.sim.nic).step();
  await freshStats();
  const fams = await scrape();
  const observed = await d.sim.observe({ stats: true });
  for (const [metric, field] of Object.entries(PF_COUNTER_FIELDS)) {
    const fam = fams.get(metric) as Family;
    assert.equal(fam?.type, 'COUNTER', metric);
    assert.equal(fam.metrics.length, observed.length, `${metric}: one sample per PF`);
    for (const pf of observed) {
      const s = fam.metrics.find((m) => m.labels?.pf === pf.netdev);
      assert.ok(s, `${metric} of ${pf.id}`);
      assert.deepEqual(Object.keys(s.labels ?? {}).sort(), ['numa_node', 'pciAddr', 'pf']);
      assert.equal(Number(s.value), pf.counters[field], `${metric} ${pf.id}`);
    }
  }
  assert.ok(Number(fams.get('nicvisor_pf_rx_packets_total')!.metrics[0].value) > 0);
  const info = fams.get('nicvisor_pf_info')!.metrics;
  for (const pf of observed) {
    const i = info.find((m) => m.labels?.pf_id === pf.id);
    assert.deepEqual(i?.labels, {
      pf: pf.netdev,
      pf_id: pf.id,
      pciAddr: pf.pciAddr,
      numa_node: String(pf.numaNode),
      driver: 'sim',
    });
    const numVfs = fams.get('nicvisor_pf_num_vfs')!.metrics.find((m) => m.labels?.pf === pf.netdev);
    assert.equal(Number(numVfs?.value), pf.numVfs);
    const mtu = fams.get('nicvisor_pf_mtu_bytes')!.metrics.find((m) => m.labels?.pf === pf.netdev);
    assert.equal(Number(mtu?.value), pf.mtu);
  }
});

test('nicvisor_vf_sync_state carries the same pf, vf, pciAddr and numa_node as sriov_vf_*', async () => {
  const fams = await scrape();
  const key = (l: Record<string, string> | undefined) =>
    `${l?.pf}|${l?.vf}|${l?.pciAddr}|${l?.numa_node}|${l?.name}`;
  const counters = new Set(fams.get('sriov_vf_rx_bytes')!.metrics.map((m) => key(m.labels)));
  const sync = fams.get('nicvisor_vf_sync_state')!.metrics;
  assert.ok(sync.length > 0);
  for (const m of sync) assert.ok(counters.has(key(m.labels)), `joinable: ${key(m.labels)}`);
});

test('guest decisions are counted by type and result', async () => {
  const asks = [
    ['web-1', { type: 'addVlan', vlan: 999 }],
    ['web-1', { type: 'addVlan', vlan: 999 }],
    ['router', { type: 'setMtu', mtu: 1500 }],
    ['web-1', { type: 'setPromisc', enable: true }],
  ] as const;
  const want = new Map<string, number>();
  for (const [vf, body] of asks) {
    const r = await d.api<GuestDecisionView>('POST', `/v1/vfs/${vf}/requests`, body);
    const k = `${body.type}/${r.result}`;
    want.set(k, (want.get(k) ?? 0) + 1);
  }
  assert.ok(want.get('addVlan/nack') === 2, 'a VLAN outside the policy is refused');
  const fam = (await scrape()).get('nicvisor_guest_decisions_total')!;
  const got = new Map(
    fam.metrics.map((m) => [`${m.labels?.type}/${m.labels?.result}`, Number(m.value)]),
  );
  assert.deepEqual(got, want);
  // Each answer's time inside the daemon, by outcome: the two nacks are decisions. Read from
  // the text: the parser drops the labels and counts of a labelled histogram.
  const text = await d.api<string>('GET', '/metrics');
  assert.match(text, /# TYPE nicvisor_guest_request_duration_seconds histogram/);
  const counts = new Map(
    [
      ...text.matchAll(
        /^nicvisor_guest_request_duration_seconds_count\{outcome="(\w+)"\} (\d+)$/gm,
      ),
    ].map((m) => [m[1], Number(m[2])]),
  );
  assert.equal(
    [...counts.values()].reduce((a, b) => a + b, 0),
    asks.length,
    `every answer is timed once: ${[...counts]}`,
  );
  assert.ok((counts.get('decision') ?? 0) >= 2, `decisions timed: ${[...counts]}`);
  for (const [outcome, n] of counts) {
    const inf = new RegExp(
      `^nicvisor_guest_request_duration_seconds_bucket\\{le="\\+Inf",outcome="${outcome}"\\} (\\d+)$`,
      'm',
    ).exec(text);
    assert.equal(Number(inf?.[1]), n, `+Inf bucket of ${outcome}`);
  }
});

test('sync state, reconcile durations, drift repairs and info', async () => {
  let fams = await scrape();
  const sync = fams.get('nicvisor_vf_sync_state')!;
  assert.equal(sync.type, 'GAUGE');
  assert.equal(sync.metrics.length, demoPolicies().length * 5, 'one sample per VF and state');
  const web1 = sync.metrics.filter((m) => m.labels?.name === 'web-1');
  assert.deepEqual(
    web1.filter((m) => m.value === '1').map((m) => m.labels?.state),
    ['in-sync'],
  );
  const hist = fams.get('nicvisor_reconcile_duration_seconds')!;
  assert.equal(hist.type, 'HISTOGRAM');
  assert.ok(Number(hist.metrics[0].count) > 0, 'start-up reconcile observed');
  assert.equal(fams.get('nicvisor_drift_repairs_total')?.metrics[0].value, '0');
  assert.deepEqual(fams.get('nicvisor_info')?.metrics[0].labels, {
    version: '0.1.0',
    driver: 'sim',
  });

  d.sim.nic.resetPf('sim:nic0/0'); // behind the daemon's back: every VF of the PF drifts
  await until(
    async () => {
      const vfs = await d.api<VfView[]>('GET', '/v1/vfs');
      return (
        vfs.every((v) => v.status.syncState === 'in-sync') && vfs.some((v) => v.status.repairs > 0)
      );
    },
    5000,
    'repair after a PF reset',
  );
  const repairs = (await d.api<VfView[]>('GET', '/v1/vfs')).reduce(
    (n, v) => n + v.status.repairs,
    0,
  );
  fams = await scrape();
  assert.equal(Number(fams.get('nicvisor_drift_repairs_total')?.metrics[0].value), repairs);
});

test('/metrics needs the token on TCP, not on the Unix socket', async () => {
  const res = await fetch(`${d.base}/metrics`);
  assert.equal(res.status, 401);
  const page = await unixGet('/');
  assert.equal(page.status, 200, 'the dashboard is served through the socket too');
  assert.match(page.body, /<script type="module" src="\/ui\/main.js">/);
  const sock = await unixGet('/metrics');
  assert.equal(sock.status, 200);
  assert.match(sock.body, /^# TYPE sriov_vf_rx_bytes counter$/m);
  const { token } = await d.api<{ token: string }>('POST', '/v1/vfs/web-1/credential');
  const guest = await fetch(`${d.base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(guest.status, 403, 'a guest credential cannot read metrics');
});

test('the state journal: changes made durable, fsyncs (group commit), compactions', async () => {
  const counts = async () => {
    const fams = await scrape();
    const hist = (name: string) => Number(fams.get(name)?.metrics[0]?.count ?? NaN);
    return {
      records: Number(fams.get('nicvisor_journal_records_total')?.metrics[0]?.value ?? NaN),
      fsyncs: hist('nicvisor_journal_fsync_duration_seconds'),
      compactions: hist('nicvisor_journal_compaction_duration_seconds'),
      failed: Number(fams.get('nicvisor_journal_failed_records_total')?.metrics[0]?.value ?? NaN),
    };
  };
  const before = await counts();
  // router is trusted: each flip of allmulti is an ack that changes its guest state (the last
  // one puts it back as it was).
  let changes = 0;
  let revision = (await d.api<VfView>('GET', '/v1/vfs/router')).revision;
  for (const enable of [true, false, true, false]) {
    const r = await d.api<GuestDecisionView>('POST', '/v1/vfs/router/requests', {
      type: 'setAllmulti',
      enable,
    });
    assert.equal(r.result, 'ack', r.reason);
    if (r.revision !== revision) changes += 1;
    revision = r.revision;
  }
  assert.ok(changes >= 3, `state changed by the flips: ${changes}`);
  const after1 = await counts();
  assert.equal(after1.records - before.records, changes, 'one journal record per change');
  // One at a time, each change waits for its own fsync.
  assert.equal(after1.fsyncs - before.fsyncs, changes, 'one fsync per change sent alone');
  assert.equal(after1.failed, 0);
  // Compaction follows about a second after the last durable change.
  await until(
    async () => (await counts()).compactions > after1.compactions,
    5000,
    'a compaction after the guest changes',
  );
});
