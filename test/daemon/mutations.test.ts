import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonError } from '../../src/daemon/errors.js';
import { VfPolicy } from '../../src/model/index.js';
import { PF0, startHarness } from './harness.js';

test('a new policy may not take a MAC a guest of another VF holds; the refusal names the holder', async () => {
  const h = await startHarness();
  try {
    const d = await h.daemon.guestRequest(
      'web-1',
      { type: 'setMac', mac: '02:00:00:00:99:99' },
      'admin',
    );
    assert.equal(d.result, 'ack', d.reason);
    const other = VfPolicy.parse({ name: 'new-1', pf: PF0, vf: 5, macs: ['02:00:00:00:99:99'] });
    await assert.rejects(h.daemon.putVf(other, 'admin'), (err: DaemonError) => {
      assert.equal(err.kind, 'refused');
      assert.deepEqual(
        err.problems?.map((p) => [p.field, p.message]),
        [
          [
            'macs.0',
            'vf 5 (new-1) on fake:0: default MAC 02:00:00:00:99:99 is held by the guest of vf 0 (web-1) on fake:0, which a guest request granted',
          ],
        ],
      );
      return true;
    });
    const macs = [...h.fake.pfs.get(PF0)!.vfs.values()].map((v) => v.settings.mac);
    assert.equal(macs.filter((m) => m === '02:00:00:00:99:99').length, 1, 'one VF holds it');
  } finally {
    await h.cleanup();
  }
});
