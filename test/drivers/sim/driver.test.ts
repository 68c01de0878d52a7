import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDriver } from '../../../src/drivers/registry.js';
import { ManualClock } from '../../../src/drivers/sim/clock.js';
import { createSimDriver, DemoTraffic } from '../../../src/drivers/sim/index.js';
import {
  formatStep,
  MainConfig,
  type MainConfigInput,
  type PlanStep,
} from '../../../src/model/index.js';
import { desiredState } from '../../../src/policy/desired.js';
import { plan } from '../../../src/policy/plan.js';

function ctx(input: MainConfigInput = {}) {
  return { config: MainConfig.parse(input), stateDir: '/nonexistent' };
}

test('sim driver: default config is one NIC nic0 with 2 ports of 64 VFs', async () => {
  const d = await createDriver('sim', ctx());
  const pfs = await d.discover();
  assert.deepEqual(
    pfs.map((p) => [p.id, p.totalVfs, p.numVfs, p.linkSpeedMbps]),
    [
      ['sim:nic0/0', 64, 0, 25000],
      ['sim:nic0/1', 64, 0, 25000],
    ],
  );
  assert.equal(pfs[0].capabilities.mailbox, true);
  assert.equal(pfs[0].capabilities.mirroring, true);
});

test('sim driver: NICs, ports, totalVfs and speeds come from MainConfig.sim', async () => {
  const d = await createSimDriver(
    ctx({
      sim: {
        nics: [
          { name: 'a', ports: 1, totalVfs: 256, linkSpeedMbps: 100000 },
          { name: 'b', ports: 3 },
        ],
      },
    }),
  );
  const pfs = await d.discover();
  assert.deepEqual(
    pfs.map((p) => `${p.id}:${p.totalVfs}:${p.linkSpeedMbps}`),
    ['sim:a/0:256:100000', 'sim:b/0:64:25000', 'sim:b/1:64:25000', 'sim:b/2:64:25000'],
  );
  const step: PlanStep = { kind: 'setNumVfs', pf: 'sim:a/0', from: 0, to: 256, reason: 't' };
  assert.equal((await d.apply({ steps: [step] })).outcomes[0].status, 'done');
  assert.equal((await d.observe({ pf: 'sim:a/0' }))[0].vfs.length, 256);
});

test('sim driver: errors of apply name the object, value, range and fix', async () => {
  const d = await createSimDriver(ctx());
  const pf = 'sim:nic0/0';
  const steps: PlanStep[] = [
    { kind: 'setNumVfs', pf, from: 0, to: 2, reason: 't' },
    { kind: 'setEswitchMode', pf, from: 'legacy', to: 'switchdev', reason: 't' },
    { kind: 'setPf', pf, field: 'trafficClasses', from: [], to: [50, 20], reason: 't' },
    { kind: 'setVf', pf, vf: 5, name: 'x', field: 'mtu', from: 1500, to: 1400, reason: 't' },
    { kind: 'setVf', pf, vf: 0, name: 'x', field: 'mtu', from: 1500, to: 9000, reason: 't' },
    {
      kind: 'setMirror',
      pf,
      vf: 0,
      name: 'x',
      from: null,
      to: { targetVf: 1, direction: 'in' },
      reason: 't',
    },
    {
      kind: 'setVf',
      pf,
      vf: 1,
      name: 'y',
      field: 'mac',
      from: '',
      to: '01:00:5e:00:00:01',
      reason: 't',
    },
    { kind: 'setPf', pf: 'sim:nope/0', field: 'mtu', from: 1500, to: 9000, reason: 't' },
  ];
  const { outcomes } = await d.apply({ steps });
  const lines = outcomes.map((o) => `${o.status}${'error' in o ? `: ${o.error}` : ''}`);
  assert.deepEqual(lines, [
    'done',
    'done',
    'failed: sim:nic0/0: trafficClasses [50,20] must be up to 8 percentages summing to 100 (or [] for none)',
    'failed: vf 5 on sim:nic0/0 does not exist: the PF has 2 VFs (0-1); raise numVfs first',
    "failed: vf 0 on sim:nic0/0: mtu: MTU 9000 is out of range 68-1500; raise the PF mtu or lower the VF's",
    'skipped: skipped because an earlier step of vf 0 on sim:nic0/0 failed (mtu)',
    'failed: vf 1 on sim:nic0/0: mac: "01:00:5e:00:00:01" is not a unicast MAC; use a MAC like 02:00:00:00:00:01 (or 00:00:00:00:00:00 for none)',
    'failed: unknown PF "sim:nope/0": the sim has sim:nic0/0, sim:nic0/1',
  ]);
});

test('sim driver: stop drops event listeners and the guest handler', async () => {
  const d = await createSimDriver(ctx());
  await d.start();
  const events: unknown[] = [];
  d.onEvent((e) => events.push(e));
  d.setGuestRequestHandler(async () => ({ result: 'ack', reason: 'ok' }));
  d.nic.resetPf('sim:nic0/0');
  assert.equal(events.length, 1);
  await d.stop();
  d.nic.resetPf('sim:nic0/0');
  assert.equal(events.length, 1);
  d.nic.pf('sim:nic0/0').resize(1);
  const answer = await d.nic.guestRequest('sim:nic0/0', 0, { type: 'reset' });
  assert.equal(answer.result, 'nack');
});

test('demo traffic: each step moves the counters of configured VFs, in both directions', async () => {
  const clock = new ManualClock();
  const d = await createSimDriver(ctx({ sim: { demoTraffic: true } }), { clock });
  const pf = d.nic.pf('sim:nic0/0');
  pf.resize(3);
  pf.setVfField(0, 'mac', '02:00:00:00:00:10', true);
  pf.setVfField(0, 'vlans', [100], true);
  pf.setVfField(1, 'mac', '02:00:00:00:00:11', true);
  pf.setVfField(1, 'vlans', [7, 8], true);
  pf.setVfField(1, 'stripOuterTag', false, true);
  pf.setVfField(1, 'vlanAntiSpoof', true, true);
  const demo = new DemoTraffic(d.nic);
  for (let i = 0; i < 4; i++) demo.step();
  const [observed] = await d.observe({ pf: 'sim:nic0/0', stats: true });
  const c = new Map(observed.vfs.map((v) => [`sim:nic0/0#${v.vf}`, v.counters]));
  // The untagged broadcast is not in VF 0's port VLAN; trunk VF 1 takes untagged frames.
  for (const [k, rx] of [
    ['sim:nic0/0#0', 4],
    ['sim:nic0/0#1', 5],
  ] as const) {
    assert.equal(c.get(k)?.rxPackets, rx, `${k} rx`);
    assert.equal(c.get(k)?.txPackets, 4, `${k} tx`);
    assert.equal(c.get(k)?.spoofed, 0);
  }
  assert.equal(c.get('sim:nic0/0#2')?.txPackets, 0, 'a VF without a MAC is left alone');
  assert.equal(c.get('sim:nic0/0#2')?.rxBroadcast, 1, 'but it hears the broadcast');
  await d.start();
  await d.stop();
});

test('sim driver: strict priority and bandwidth groups reach the NIC and read back in sync', async () => {
  const d = await createSimDriver(ctx());
  const config = MainConfig.parse({
    pfs: [
      {
        pf: 'sim:nic0/0',
        numVfs: 1,
        qos: {
          trafficClasses: [
            { bandwidth: 60, group: 1 },
            { bandwidth: 40, strictPriority: true },
          ],
        },
      },
    ],
  });
  const want = desiredState(config, [], new Map(), new Map());
  const first = plan(want, await d.observe());
  assert.deepEqual(
    first.steps.map((s) => (s.kind === 'setPf' ? `${s.field} ${formatStep(s)}` : s.kind)),
    [
      'setNumVfs',
      'trafficClasses sim:nic0/0 trafficClasses: desired 60,40 current [] — PF policy',
      'trafficClassModes sim:nic0/0 trafficClassModes: desired {"strictPriority":false,"group":1},{"strictPriority":true,"group":0} current [] — PF policy',
    ],
  );
  assert.ok((await d.apply(first)).outcomes.every((o) => o.status === 'done'));
  const [pf] = await d.observe({ pf: 'sim:nic0/0' });
  assert.deepEqual(pf.trafficClassModes, [
    { strictPriority: false, group: 1 },
    { strictPriority: true, group: 0 },
  ]);
  assert.deepEqual(plan(want, await d.observe()).steps, [], 'in sync after one apply');
  const bad = await d.apply({
    steps: [
      {
        kind: 'setPf',
        pf: 'sim:nic0/0',
        field: 'trafficClassModes',
        from: [],
        to: [{ strictPriority: 'yes', group: 9 }],
        reason: 't',
      },
    ],
  });
  const o = bad.outcomes[0];
  assert.match(
    o.status === 'failed' ? o.error : o.status,
    /must be up to 8 of \{strictPriority: true\|false, group: 0-7\}/,
  );
});
