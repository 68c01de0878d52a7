import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatStep, type ObservedPf } from '../../src/model/index.js';
import { desiredState, policyIndex } from '../../src/policy/desired.js';
import { plan } from '../../src/policy/plan.js';
import { mainInput, PF0, PF1, vf } from './fixtures.js';
import { World } from './world.js';

const policies = [
  vf('web', PF0, 0, { macs: ['02:00:00:00:00:01'], vlans: [10] }),
  vf('tap', PF0, 1, { macs: ['02:00:00:00:00:02'] }),
  vf('mon', PF0, 2, { macs: ['02:00:00:00:00:03'], mirror: { target: 'tap', direction: 'all' } }),
  vf('db', PF1, 0, { macs: ['02:00:00:00:00:04'], linkState: 'disable' }),
];

function setup() {
  const w = new World(mainInput(), policies);
  const desired = desiredState(w.config, w.policies, w.guests, new Map([['web', 7]]));
  return { w, desired, observed: w.observed() };
}

function clone(o: ObservedPf[]): ObservedPf[] {
  return structuredClone(o);
}

describe('desiredState of some VFs', () => {
  it('has those VFs as the whole computation has them, and every VF of a switchdev PF', () => {
    for (const eswitchMode of ['legacy', 'switchdev'] as const) {
      const main = mainInput({
        pfs: [
          { pf: PF0, numVfs: 8, eswitchMode },
          { pf: PF1, numVfs: 8 },
        ],
      });
      const w = new World(main, policies);
      const revs = new Map([['web', 7]]);
      const whole = desiredState(w.config, w.policies, w.guests, revs);
      const some = desiredState(w.config, w.policies, w.guests, revs, new Set(['mon', 'db']));
      const index = policyIndex(w.config, w.policies);
      assert.deepEqual(
        desiredState(w.config, w.policies, w.guests, revs, new Set(['db', 'mon']), index),
        some,
        'the same through the policy index (names in any order)',
      );
      assert.deepEqual(desiredState(w.config, w.policies, w.guests, revs, undefined, index), whole);
      const names = eswitchMode === 'switchdev' ? ['web', 'tap', 'mon', 'db'] : ['mon', 'db'];
      assert.deepEqual(
        some.vfs,
        whole.vfs.filter((v) => names.includes(v.name)),
      );
      assert.deepEqual(some.eswitch, whole.eswitch);
      assert.deepEqual(some.pfs, whole.pfs);
    }
  });
});

describe('plan', () => {
  it('is empty when nothing differs', () => {
    const { desired, observed } = setup();
    assert.deepEqual(plan(desired, observed), { steps: [] });
  });

  it('lists changed VF fields in VF_FIELD_ORDER, printable as desired/current', () => {
    const { desired, observed } = setup();
    const o = clone(observed);
    const web = o[0].vfs[0].settings;
    web.mtu = 9000;
    web.vlans = [20];
    web.mac = '02:00:00:00:00:99';
    const p = plan(desired, o);
    assert.deepEqual(
      p.steps.map((s) => (s.kind === 'setVf' ? s.field : s.kind)),
      ['mac', 'vlans', 'mtu'],
    );
    assert.deepEqual(p.steps.map(formatStep), [
      'sim:nic0/0 vf 0 (web) mac: desired 02:00:00:00:00:01 current 02:00:00:00:00:99 — policy web revision 7',
      'sim:nic0/0 vf 0 (web) vlans: desired 10 current 20 — policy web revision 7',
      'sim:nic0/0 vf 0 (web) mtu: desired 1500 current 9000 — policy web revision 7',
    ]);
  });

  it('compares VLAN and MAC-filter lists as sets', () => {
    const { desired, observed } = setup();
    const d = structuredClone(desired);
    d.vfs[0].settings.vlans = [10, 20];
    const o = clone(observed);
    o[0].vfs[0].settings.vlans = [20, 10];
    assert.deepEqual(plan(d, o).steps, []);
  });

  it('takes a disabled link down first, before other fields of the VF', () => {
    const { desired, observed } = setup();
    const o = clone(observed);
    const db = o[1].vfs[0].settings;
    db.linkState = 'auto';
    db.maxTxRate = 100;
    assert.deepEqual(
      plan(desired, o).steps.map((s) => (s.kind === 'setVf' ? `${s.name}.${s.field}` : s.kind)),
      ['db.linkState', 'db.maxTxRate'],
    );
  });

  it('puts PF steps first and leaves the VF steps of a PF whose numVfs changes out', () => {
    const { desired, observed } = setup();
    const o = clone(observed);
    o[0].numVfs = 4;
    o[0].mtu = 9000;
    o[0].vfs[0].settings.mtu = 1000;
    o[1].vfs[0].settings.mtu = 1000;
    const steps = plan(desired, o).steps;
    assert.deepEqual(
      steps.map((s) => `${s.kind}:${s.pf}`),
      ['setNumVfs:sim:nic0/0', 'setPf:sim:nic0/0', 'setVf:sim:nic0/1'],
    );
  });

  it('sets mirrors last, after every VF step', () => {
    const { desired, observed } = setup();
    const o = clone(observed);
    o[0].vfs[2].mirror = null;
    o[0].vfs[1].settings.mtu = 1000;
    o[1].vfs[0].settings.trust = true;
    const kinds = plan(desired, o).steps.map((s) => s.kind);
    assert.deepEqual(kinds, ['setVf', 'setVf', 'setMirror']);
    const last = plan(desired, o).steps.at(-1);
    assert.deepEqual(last, {
      kind: 'setMirror',
      pf: PF0,
      vf: 2,
      name: 'mon',
      from: null,
      to: { targetVf: 1, direction: 'all' },
      reason: 'policy mon revision 0',
    });
  });

  it('configures a VF the driver has not reported in full', () => {
    const { desired, observed } = setup();
    const o = clone(observed);
    o[1].vfs = [];
    const steps = plan(desired, o).steps.filter((s) => s.pf === PF1);
    assert.equal(steps.length, 22);
    assert.equal(steps[0].kind === 'setVf' && steps[0].field, 'linkState');
  });
});

describe('plan: LAGs', () => {
  const lag = {
    name: 'bond0',
    members: [PF0, PF1],
    mode: 'balance-xor' as const,
    xmitHashPolicy: 'layer3+4' as const,
  };
  function lagSetup(lags: (typeof lag)[]) {
    const w = new World(mainInput({ lags }), []);
    return { desired: desiredState(w.config, [], w.guests, new Map()), observed: w.observed() };
  }

  it('creates a missing LAG after the PF steps, changes it, and removes one not desired', () => {
    const { desired, observed } = lagSetup([lag]);
    const create = plan(desired, observed).steps.filter((s) => s.kind === 'setLag');
    assert.deepEqual(create.map(formatStep), [
      'LAG bond0: desired balance-xor of sim:nic0/0+sim:nic0/1 hash layer3+4 miimon 100 vf-lag current none — LAG policy',
    ]);
    const config = desired.lags?.[0];
    assert.ok(config);
    const o = clone(observed);
    const status = {
      name: 'bond0',
      mode: 'balance-xor' as const,
      members: [],
      failovers: 0,
      lastFailoverMs: null,
      lostFrames: 0,
    };
    for (const pf of o) pf.lag = { config: { ...config, miimon: 50 }, status };
    assert.deepEqual(
      plan(desired, o)
        .steps.filter((s) => s.kind === 'setLag')
        .map(formatStep),
      [
        'LAG bond0: desired balance-xor of sim:nic0/0+sim:nic0/1 hash layer3+4 miimon 100 vf-lag current balance-xor of sim:nic0/0+sim:nic0/1 hash layer3+4 miimon 50 vf-lag — LAG policy changed',
      ],
    );
    for (const pf of o) pf.lag = { config, status };
    assert.deepEqual(
      plan(desired, o).steps.filter((s) => s.kind === 'setLag'),
      [],
    );
    const none = lagSetup([]).desired;
    assert.deepEqual(
      plan(none, o)
        .steps.filter((s) => s.kind === 'setLag')
        .map(formatStep),
      [
        'LAG bond0: desired none current balance-xor of sim:nic0/0+sim:nic0/1 hash layer3+4 miimon 100 vf-lag — LAG no longer in the configuration',
      ],
    );
    // A VF-only plan (no lags in the desired state) leaves LAGs alone.
    assert.deepEqual(plan({ pfs: [], vfs: [] }, o).steps, []);
  });
});

describe('desiredState through the policy index', () => {
  it('gives any subset of VFs exactly as the whole computation has them (traffic shares too)', () => {
    const vfArb = fc.record({
      pf: fc.constantFrom(PF0, PF1),
      shares: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 3 }),
      down: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(vfArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(11), { maxLength: 4 }),
        fc.constantFrom('legacy', 'switchdev'),
        (specs, picks, eswitchMode) => {
          const qos = { trafficClasses: [{ bandwidth: 60 }, { bandwidth: 30 }, { bandwidth: 10 }] };
          const main = mainInput({
            pfs: [
              { pf: PF0, numVfs: 8, qos, oversubscribe: true, eswitchMode },
              { pf: PF1, numVfs: 8, qos, oversubscribe: true },
            ],
          });
          const used = { [PF0]: 0, [PF1]: 0 };
          const pols = specs.map((s, i) =>
            vf(`vf${String(i).padStart(2, '0')}`, s.pf, used[s.pf]++ % 8, {
              trafficShares: s.shares,
              linkState: s.down ? 'disable' : 'auto',
            }),
          );
          const w = new World(main, pols);
          const revs = new Map(w.policies.map((p, i) => [p.name, i + 1]));
          const whole = desiredState(w.config, w.policies, w.guests, revs);
          const index = policyIndex(w.config, w.policies);
          const names = new Set(picks.map((k) => `vf${String(k).padStart(2, '0')}`));
          const some = desiredState(w.config, w.policies, w.guests, revs, names, index);
          const switchdevPf = eswitchMode === 'switchdev' ? PF0 : null;
          assert.deepEqual(
            some.vfs,
            whole.vfs.filter((v) => names.has(v.name) || v.pf === switchdevPf),
          );
          assert.deepEqual(some.eswitch, whole.eswitch);
          assert.deepEqual(
            desiredState(w.config, w.policies, w.guests, revs, names),
            some,
            'the same without the index',
          );
        },
      ),
    );
  });
});
