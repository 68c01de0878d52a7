import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VfPolicy } from '../../src/model/index.js';
import { PF0, PF1, snapshotFiles, startHarness, until } from './harness.js';

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

test('a PF reset behind the daemon is repaired and counted; other PFs untouched', async () => {
  const h = await startHarness();
  try {
    const writesBefore = h.daemon.driver.writes;
    h.fake.resetPf(PF0);
    await until(() => h.daemon.getVf('web-1').status.repairs === 1, 3000, 'repair of web-1');
    assert.equal(h.fake.pfs.get(PF0)!.vfs[0].settings.mac, '02:00:00:00:00:01');
    assert.deepEqual(h.fake.pfs.get(PF0)!.vfs[1].settings.vlans, [100, 200]);
    assert.equal(h.daemon.getVf('web-2').status.repairs, 1);
    assert.equal(h.daemon.getVf('db-1').status.repairs, 0, 'VF on the other PF was not repaired');
    assert.equal(h.daemon.getVf('web-1').status.syncState, 'in-sync');
    assert.ok(h.daemon.driver.writes > writesBefore);
    assert.equal(h.daemon.stats().daemon.repairs, 2);
  } finally {
    await h.cleanup();
  }
});

test('the drift loop notices a silent change (ip link by hand) and repairs it', async () => {
  const h = await startHarness({ daemon: { driftIntervalMs: 100 } });
  try {
    h.fake.poke(PF1, 0, { maxTxRate: 5 });
    await until(() => h.daemon.getVf('db-1').status.repairs === 1, 3000, 'drift repair');
    assert.equal(h.fake.pfs.get(PF1)!.vfs[0].settings.maxTxRate, 1000);
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

test('an invalid change is refused with every problem; files and NIC untouched', async () => {
  const h = await startHarness();
  try {
    const files = await snapshotFiles(h.stateDir);
    const writes = h.daemon.driver.writes;
    await assert.rejects(
      h.daemon.apply(
        {
          vfs: [
            // vlan out of range, and a MAC web-1 holds: both named
            { name: 'web-2', pf: PF0, vf: 1, vlans: [5000], macs: ['02:00:00:00:00:01'] },
            { name: 'new-1', pf: PF0, vf: 9 },
          ].map((p) => VfPolicy.parse(p)),
          delete: [],
        },
        'admin',
      ),
      (err: Error & { kind?: string; problems?: { field: string }[] }) => {
        assert.equal(err.kind, 'refused');
        const fields = (err.problems ?? []).map((p) => p.field);
        assert.ok(
          fields.some((f) => f.startsWith('vlans')),
          `vlans named: ${fields}`,
        );
        assert.ok(fields.includes('macs.0'), `duplicate MAC named: ${fields}`);
        assert.ok(fields.includes('vf'), `vf index past numVfs named: ${fields}`);
        return true;
      },
    );
    assert.deepEqual(await snapshotFiles(h.stateDir), files);
    assert.equal(h.daemon.driver.writes, writes);
  } finally {
    await h.cleanup();
  }
});

test('a mailbox ack is durable before it is answered and survives a restart', async () => {
  const h = await startHarness();
  try {
    const d = await h.fake.guestRequest(PF0, 0, { type: 'setMac', mac: '02:00:00:00:00:99' });
    assert.equal(d.result, 'ack', d.reason);
    const files = await snapshotFiles(h.stateDir);
    assert.match(files['guest/web-1.json'] ?? '', /02:00:00:00:00:99/);
    await until(
      () => h.daemon.getVf('web-1').status.appliedRevision === h.daemon.getVf('web-1').revision,
      2000,
      'confirm',
    );
    const n = await h.fake.guestRequest(PF0, 1, { type: 'addVlan', vlan: 999 });
    assert.equal(n.result, 'nack');
    const d2 = await h.restart();
    assert.equal(d2.getVf('web-1').guest.mac, '02:00:00:00:00:99');
    assert.equal(d2.driver.writes, 0, 'guest state matched the NIC: nothing rewritten');
    const unknown = await h.fake.guestRequest(PF0, 7, { type: 'reset' });
    assert.equal(unknown.result, 'nack');
  } finally {
    await h.cleanup();
  }
});

test('stop removes every listener and timer', async () => {
  const h = await startHarness({ daemon: { driftIntervalMs: 100, statsIntervalMs: 100 } });
  assert.equal(h.fake.listenerCount, 1);
  await h.daemon.stop();
  assert.equal(h.fake.listenerCount, 0);
  await h.cleanup();
});
