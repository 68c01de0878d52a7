import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GuestRequest, VfPolicy } from '../../src/model/index.js';
import { mainInput, PF0, vf } from './fixtures.js';
import { World } from './world.js';

const G = (i: number) => `01:00:5e:00:00:${i.toString(16).padStart(2, '0')}`;

function world(extra = {}) {
  return new World(mainInput(), [vf('web', PF0, 0, { macs: ['02:00:00:00:00:0a'], ...extra })]);
}

describe('authorise: setMulticastList', () => {
  it('defaults to 30 groups per VF, what igbvf and ixgbevf send at most', () => {
    assert.equal(VfPolicy.parse({ name: 'a', pf: PF0, vf: 0 }).guestMulticast, 30);
  });

  it('acknowledges a list within guestMulticast, counting each group once', () => {
    const groups = [G(1), G(2), G(2).toUpperCase()];
    assert.deepEqual(
      world({ guestMulticast: 2 }).ask('web', { type: 'setMulticastList', groups }),
      {
        result: 'ack',
        reason: 'vf 0 (web) on sim:nic0/0 joins 2 multicast group(s), within guestMulticast 2',
      },
    );
  });

  it('refuses a list longer than guestMulticast, naming the limit and the fix', () => {
    const groups = [G(1), G(2), G(3)];
    assert.deepEqual(
      world({ guestMulticast: 2 }).ask('web', { type: 'setMulticastList', groups }),
      {
        result: 'nack',
        reason:
          '3 multicast groups exceed the 2 that vf 0 (web) on sim:nic0/0 may join (guestMulticast); join fewer or raise guestMulticast in the policy',
      },
    );
  });

  it('trust does not lift the limit: the multicast table is the whole PF’s', () => {
    const d = world({ guestMulticast: 1, trust: true }).ask('web', {
      type: 'setMulticastList',
      groups: [G(1), G(2)],
    });
    assert.equal(d.result, 'nack');
  });

  it('refuses unicast, broadcast and malformed addresses as groups', () => {
    for (const bad of ['02:00:00:00:00:01', 'ff:ff:ff:ff:ff:ff', '01:00:5e']) {
      const d = world().ask('web', { type: 'setMulticastList', groups: [G(1), bad] });
      assert.equal(d.result, 'nack', bad);
      assert.match(d.reason, new RegExp(`"${bad}" is not a multicast group MAC`));
    }
  });

  it('refuses groups where the policy keeps multicast out, unless trusted; leaving is always fine', () => {
    const w = world({ allowMulticast: false });
    assert.deepEqual(w.ask('web', { type: 'setMulticastList', groups: [G(1)] }), {
      result: 'nack',
      reason: 'multicast refused: the policy of vf 0 (web) on sim:nic0/0 has allowMulticast: false',
    });
    assert.equal(w.ask('web', { type: 'setMulticastList', groups: [] }).result, 'ack');
    const t = world({ allowMulticast: false, trust: true });
    assert.equal(t.ask('web', { type: 'setMulticastList', groups: [G(1)] }).result, 'ack');
  });

  it('the mailbox format caps a list at 64 entries', () => {
    const groups = Array.from({ length: 65 }, (_, i) => G(i));
    assert.equal(GuestRequest.safeParse({ type: 'setMulticastList', groups }).success, false);
  });
});
