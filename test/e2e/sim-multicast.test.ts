/**
 * A guest joins multicast groups through the sim NIC's mailbox: the daemon authorises the
 * list against the VF's policy (guestMulticast), the NIC fills the PF's multicast table, and
 * frames for the group then reach the VF.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildFrame, type SimDriver } from '../../src/drivers/sim/index.js';
import { SPF0, simDaemon } from '../reliability/sim-daemon.js';

const G1 = '01:00:5e:00:00:fb';
const G2 = '01:00:5e:00:00:fc';

test('sim: a mailbox multicast list within guestMulticast is joined; a longer one is refused', async () => {
  const policy = { name: 'tv', pf: SPF0, vf: 0, macs: ['02:00:00:00:00:0a'], guestMulticast: 1 };
  const s = await simDaemon([policy]);
  const nic = (s.inner as SimDriver).nic;
  const toGroup = (g: string) => buildFrame({ dst: g, src: '02:ee:00:00:00:01' });
  try {
    const cap = nic.capture(SPF0, 0);
    assert.equal(nic.sendFromWire(SPF0, toGroup(G1)), false, 'nobody joined G1 yet');
    const ack = await nic.guestRequest(SPF0, 0, { type: 'setMulticastList', groups: [G1] });
    assert.equal(ack.result, 'ack', ack.reason);
    const nack = await nic.guestRequest(SPF0, 0, { type: 'setMulticastList', groups: [G1, G2] });
    assert.deepEqual(nack, {
      result: 'nack',
      reason:
        '2 multicast groups exceed the 1 that vf 0 (tv) on sim:nic0/0 may join (guestMulticast); join fewer or raise guestMulticast in the policy',
    });
    nic.sendFromWire(SPF0, toGroup(G1));
    nic.sendFromWire(SPF0, toGroup(G2));
    assert.deepEqual(
      cap.frames.map((f) => f.data.subarray(0, 6).toString('hex')),
      ['01005e0000fb'],
      'G1 arrives, G2 (refused) does not',
    );
  } finally {
    await s.cleanup();
  }
});
