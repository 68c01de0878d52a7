/**
 * Driver faults: an apply that fails at step k (for every k of a multi-step change) and
 * reads that fail. The daemon keeps running, reports the VF `failed` with the driver's error
 * and which steps were and were not applied, retries with backoff until in sync, and never
 * touches the other VFs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VfPolicy, type VfPolicyInput } from '../../src/model/index.js';
import { FaultyDriver } from './faulty-driver.js';
import { SPF0, SPF1, simDaemon, until } from './sim-daemon.js';

const A: VfPolicyInput = { name: 'a', pf: SPF0, vf: 0, vlans: [10], macs: ['02:00:00:00:aa:00'] };
const B: VfPolicyInput = { name: 'b', pf: SPF0, vf: 1, vlans: [10], macs: ['02:00:00:00:bb:00'] };
const C: VfPolicyInput = {
  name: 'c',
  pf: SPF1,
  vf: 0,
  untagged: true,
  macs: ['02:00:00:00:cc:00'],
};

/** Two versions of A that differ in five settings: each PUT is a five-step apply. */
const A1 = {
  ...A,
  vlans: [10, 11],
  mtu: 1400,
  maxTxRate: 1000,
  allowBroadcast: false,
  macs: ['02:00:00:00:aa:01'],
};
const A2 = {
  ...A,
  vlans: [12],
  mtu: 1300,
  maxTxRate: 2000,
  allowBroadcast: true,
  macs: ['02:00:00:00:aa:02'],
};

const faults = { injected: 0, changes: 0 };

/** The sim daemon with A, B and C behind a FaultyDriver, once every VF is in sync. */
async function faultyDaemon() {
  let faulty: FaultyDriver | null = null;
  const s = await simDaemon([A, B, C], {}, (d) => {
    faulty = new FaultyDriver(d);
    return faulty.driver();
  });
  try {
    await until(
      () => s.daemon.listVfs().every((v) => v.status.syncState === 'in-sync'),
      3000,
      'start',
    );
  } catch (err) {
    await s.cleanup();
    throw err;
  }
  return { s, f: faulty! as FaultyDriver };
}

test('faults: failing at step k of a multi-step apply, for every k', async () => {
  const { s, f } = await faultyDaemon();
  const others = () => JSON.stringify(['b', 'c'].map((n) => s.daemon.getVf(n).observed));
  try {
    const othersBefore = others();
    const started = f.applies.length;
    f.failVf = 'a';
    let steps = Number.POSITIVE_INFINITY;
    for (let k = 0; k < steps; k++) {
      const body = k % 2 === 0 ? A1 : A2;
      f.failAt = k;
      f.failTimes = 1;
      const from = f.applies.length;
      const res = await s.daemon.putVf(VfPolicy.parse({ ...body, name: 'a' }), 'test');
      faults.changes += 1;
      assert.equal(res.changed, true, 'the change is stored even though the NIC refused a step');
      const rec = f.applies.slice(from).find((r) => r.failedAt === k);
      assert.ok(rec, `step ${k} was injected`);
      steps = rec.steps.length;
      assert.ok(steps >= 5, `a five-setting change is ${steps} steps`);
      const v = s.daemon.getVf('a');
      assert.equal(v.status.syncState, 'failed', `k=${k}: reported failed`);
      const err = v.status.lastError ?? '';
      assert.match(
        err,
        new RegExp(`injected fault: EIO at step ${k}`),
        'the driver error is shown',
      );
      const applied = /applied: ([^;]*);/.exec(err)?.[1] ?? '';
      assert.equal(
        applied === 'nothing' ? 0 : applied.split(', ').length,
        k,
        `k=${k}: says which steps applied: ${err}`,
      );
      assert.match(err, /not applied: /);
      assert.equal(s.daemon.health().status, 'degraded');
      await until(
        () => s.daemon.getVf('a').status.syncState === 'in-sync',
        4000,
        `retry after step ${k} failed`,
      );
      assert.deepEqual(s.daemon.getVf('a').observed, s.daemon.getVf('a').desired);
      for (const r of f.applies.slice(started))
        for (const st of r.steps)
          assert.ok(!('name' in st) || st.name === 'a', `touched ${JSON.stringify(st)}`);
      assert.equal(others(), othersBefore, 'other VFs untouched');
    }
    faults.injected = f.faultsInjected;
    console.log(
      `faults: failed each of the ${steps} steps of a multi-step apply in turn; other VFs untouched, every failure retried to in-sync`,
    );
  } finally {
    await s.cleanup();
  }
});

test('faults: retries back off (0.5 s, 1 s, 2 s) and a failing VF does not hold others up', async () => {
  const { s, f } = await faultyDaemon();
  try {
    f.failAt = 0;
    f.failTimes = 3;
    f.failVf = 'a';
    const from = f.applies.length;
    await s.daemon.putVf(VfPolicy.parse({ ...A1, name: 'a' }), 'test');
    // While a is failing, b changes and goes in sync at once.
    await s.daemon.putVf(VfPolicy.parse({ ...B, vlans: [10, 20] }), 'test');
    assert.equal(s.daemon.getVf('b').status.syncState, 'in-sync');
    await until(
      () => s.daemon.getVf('a').status.syncState === 'in-sync',
      6000,
      'a after 3 failures',
    );
    const tries = f.applies
      .slice(from)
      .filter((r) => r.steps.some((st) => 'name' in st && st.name === 'a'));
    assert.equal(tries.length, 4, '3 failed attempts, then success');
    const gaps = tries.slice(1).map((t, i) => t.at - tries[i].at);
    assert.ok(
      gaps[0] >= 450 && gaps[1] >= 950 && gaps[2] >= 1950,
      `backoff gaps ${gaps.join(', ')} ms`,
    );
    faults.injected += f.faultsInjected;
    console.log(`faults: backoff between attempts ${gaps.join(', ')} ms`);
  } finally {
    await s.cleanup();
  }
});

test('faults: failing reads mark the VFs failed, the daemon keeps serving, then recovers', async () => {
  const { s, f } = await faultyDaemon();
  try {
    f.failReads = 1;
    await s.daemon.putVf(VfPolicy.parse({ ...A1, name: 'a' }), 'test');
    const v = s.daemon.getVf('a');
    assert.equal(v.status.syncState, 'failed');
    assert.match(
      v.status.lastError ?? '',
      /reading the NIC failed: injected fault: EIO reading VF state/,
    );
    assert.equal(s.daemon.getVf('b').status.syncState, 'in-sync', 'b is not affected');
    f.failReads = 3;
    const d = await s.daemon
      .guestRequest('b', { type: 'setMtu', mtu: 1400 }, 'test')
      .catch((e: Error) => e);
    assert.ok(
      !(d instanceof Error) || /EIO/.test(d.message),
      'a guest request during a read fault fails cleanly',
    );
    f.failReads = 0;
    await until(
      () => s.daemon.listVfs().every((x) => x.status.syncState === 'in-sync'),
      6000,
      'recovery',
    );
    assert.deepEqual(s.daemon.getVf('a').observed, s.daemon.getVf('a').desired);
    faults.injected += f.faultsInjected;
    console.log(
      `faults: ${faults.injected} injected (${faults.changes} failed multi-step changes, backoff, read failures); daemon up throughout, lost 0`,
    );
  } finally {
    await s.cleanup();
  }
});
