import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VfPolicy } from '../../src/model/index.js';
import { PF0, startHarness, until } from './harness.js';

test('start brings every VF in sync; a restart against the in-sync NIC writes nothing', async () => {
  const h = await startHarness();
  try {
    const vfs = h.daemon.listVfs();
    assert.deepEqual(
      vfs.map((v) => [v.name, v.status.syncState]),
      [
        ['db-1', 'in-sync'],
        ['web-1', 'in-sync'],
        ['web-2', 'in-sync'],
      ],
    );
    assert.ok(h.daemon.driver.writes > 0, 'the first start programs the NIC');
    assert.equal(h.fake.pfs.get(PF0)!.vfs[0].settings.mac, '02:00:00:00:00:01');
    assert.deepEqual(h.fake.pfs.get(PF0)!.vfs[1].settings.vlans, [100, 200]);
    for (const v of vfs) assert.equal(v.status.appliedRevision, v.revision);
    const revisions = vfs.map((v) => v.revision);
    const stepsBefore = h.fake.stepsDone;
    const d = await h.restart();
    assert.equal(d.driver.writes, 0, 'restart made driver writes');
    assert.equal(h.fake.stepsDone, stepsBefore);
    assert.deepEqual(
      d.listVfs().map((v) => v.status.syncState),
      ['in-sync', 'in-sync', 'in-sync'],
    );
    assert.deepEqual(
      d.listVfs().map((v) => v.revision),
      revisions,
      'revisions survive a restart',
    );
    assert.equal(d.health().driverApplySteps, 0);
  } finally {
    await h.cleanup();
  }
});

test('a failing VF is reported failed with the driver error, retried with backoff; others unaffected', async () => {
  const h = await startHarness();
  try {
    h.fake.failWhen = (step) =>
      step.kind === 'setVf' && step.name === 'web-2' && step.field === 'vlans'
        ? 'EIO: vlan filter table full'
        : null;
    await h.daemon.putVf(
      VfPolicy.parse({ name: 'web-2', pf: PF0, vf: 1, vlans: [300], macs: ['02:00:00:00:00:02'] }),
      'admin',
    );
    await h.daemon.putVf(
      VfPolicy.parse({
        name: 'web-1',
        pf: PF0,
        vf: 0,
        vlans: [100],
        macs: ['02:00:00:00:00:07'],
        guestMacs: 1,
      }),
      'admin',
    );
    const s = h.daemon.getVf('web-2').status;
    assert.equal(s.syncState, 'failed');
    assert.match(s.lastError ?? '', /EIO: vlan filter table full/);
    assert.match(s.lastError ?? '', /vlans/);
    assert.equal(h.daemon.getVf('web-1').status.syncState, 'in-sync');
    assert.equal(h.fake.pfs.get(PF0)!.vfs[0].settings.mac, '02:00:00:00:00:07');
    assert.equal(h.daemon.health().status, 'degraded');
    h.fake.failWhen = null;
    await until(
      () => h.daemon.getVf('web-2').status.syncState === 'in-sync',
      3000,
      'retry to succeed',
    );
    assert.deepEqual(h.fake.pfs.get(PF0)!.vfs[1].settings.vlans, [300]);
    assert.equal(h.daemon.getVf('web-2').status.lastError, null);
  } finally {
    await h.cleanup();
  }
});

test("a guest ack's reconcile starts from the decision's read, and a stale one is caught by a fresh read", async () => {
  const h = await startHarness();
  try {
    const nic = h.fake.pfs.get(PF0)!.vfs[0];
    // The decision reads the VF, then the NIC changes before the reconcile (the VF lock is
    // let go between): the read the reconcile starts from is stale.
    const drift = () => {
      h.fake.afterObserve = null;
      nic.settings = { ...nic.settings, vlans: [999] };
    };
    h.fake.afterObserve = drift;
    let calls = h.fake.observeCalls;
    const a = await h.daemon.guestRequest('web-1', { type: 'setAllmulti', enable: true }, 'g');
    assert.equal(a.result, 'ack');
    assert.deepEqual(nic.settings.vlans, [100], 'the drift behind the stale read is repaired');
    assert.equal(nic.settings.allmulti, true);
    assert.equal(h.daemon.getVf('web-1').status.syncState, 'in-sync');
    // decision read, then apply from it, a fresh read (drift found), apply, a fresh read
    assert.equal(h.fake.observeCalls - calls, 3);

    // The NIC has what the guest asks already (by its read the plan is empty): the VF is only
    // called in sync after a fresh read, which finds the drift that came after the decision.
    nic.settings = { ...nic.settings, allmulti: false };
    h.fake.afterObserve = drift;
    const b = await h.daemon.guestRequest('web-1', { type: 'setAllmulti', enable: false }, 'g');
    assert.equal(b.result, 'ack');
    assert.deepEqual(nic.settings.vlans, [100]);
    assert.equal(h.daemon.getVf('web-1').status.syncState, 'in-sync');
    assert.equal(h.daemon.getVf('web-1').status.appliedRevision, b.revision);

    // Nothing changes behind it: one read for the decision, one to verify the apply.
    calls = h.fake.observeCalls;
    await h.daemon.guestRequest('web-1', { type: 'setAllmulti', enable: true }, 'g');
    assert.equal(h.fake.observeCalls - calls, 2);
    assert.equal(nic.settings.allmulti, true);
  } finally {
    await h.cleanup();
  }
});
