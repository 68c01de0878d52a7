import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PF0, PF1, startHarness, until } from './harness.js';

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
