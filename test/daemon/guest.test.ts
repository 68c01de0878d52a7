import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PF0, snapshotFiles, startHarness, until } from './harness.js';

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
