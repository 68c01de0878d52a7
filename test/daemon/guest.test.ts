import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonError } from '../../src/daemon/errors.js';
import { durableFiles, PF0, startHarness, until } from './harness.js';

test('a mailbox ack is durable before it is answered and survives a restart', async () => {
  const h = await startHarness();
  try {
    const d = await h.fake.guestRequest(PF0, 0, { type: 'setMac', mac: '02:00:00:00:00:99' });
    assert.equal(d.result, 'ack', d.reason);
    const files = await durableFiles(h.stateDir);
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

test('a flooding guest is limited: an API caller gets a limited error, a mailbox guest a nack', async () => {
  const h = await startHarness({ daemon: { guestRequestsPerSecond: 1, guestRequestBurst: 2 } });
  try {
    const req = { type: 'setPromisc', enable: false } as const;
    for (let i = 0; i < 2; i++)
      assert.equal((await h.daemon.guestRequest('web-1', req, 'admin')).result, 'ack');
    await assert.rejects(h.daemon.guestRequest('web-1', req, 'admin'), (err: DaemonError) => {
      assert.equal(err.kind, 'limited');
      assert.match(err.message, /rate limited: VF web-1 may send 1 requests\/s \(burst 2\)/);
      return true;
    });
    const d = await h.fake.guestRequest(PF0, 0, req);
    assert.equal(d.result, 'nack');
    assert.match(d.reason, /rate limited/);
    assert.equal(h.daemon.stats().daemon.guestDecisions.limited, 2);
  } finally {
    await h.cleanup();
  }
});

test('a mailbox request from a VF without a policy is refused, naming the VF', async () => {
  const h = await startHarness();
  try {
    const d = await h.fake.guestRequest(PF0, 6, { type: 'reset' });
    assert.deepEqual(d, {
      result: 'nack',
      reason: `VF 6 of ${PF0} has no nicvisor policy; requests are refused until one is applied`,
    });
  } finally {
    await h.cleanup();
  }
});
