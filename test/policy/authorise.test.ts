import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ack, nack } from '../../src/policy/authorise-mac.js';
import { mainInput, PF0, vf } from './fixtures.js';
import { World } from './world.js';

const A = '02:00:00:00:00:0a';
const A2 = '02:00:00:00:00:a2';
const B = '02:00:00:00:00:0b';
const G1 = '02:00:00:00:00:f1';
const G2 = '02:00:00:00:00:f2';

function world(extraA = {}, extraB = {}) {
  return new World(mainInput(), [
    vf('web', PF0, 0, { macs: [A, A2], vlans: [10, 20], ...extraA }),
    vf('db', PF0, 1, { macs: [B], vlans: [30], ...extraB }),
  ]);
}

describe('authorise: setMac / addMac', () => {
  it('allows a MAC from the allow-list and programs it', () => {
    const w = world();
    assert.deepEqual(
      w.ask('web', { type: 'setMac', mac: '02:00:00:00:00:A2' }),
      ack('MAC 02:00:00:00:00:a2 is in the policy of vf 0 (web) on sim:nic0/0'),
    );
    assert.equal(w.settings('web').mac, A2);
  });

  it('refuses a MAC outside the allow-list when the guest has no room', () => {
    assert.deepEqual(
      world().ask('web', { type: 'setMac', mac: G1 }),
      nack(
        'MAC 02:00:00:00:00:f1 is not in the allow-list of vf 0 (web) on sim:nic0/0 (02:00:00:00:00:0a, 02:00:00:00:00:a2) and the policy allows no MACs of the guest’s own (guestMacs: 0); add it to macs in the policy',
      ),
    );
  });

  it('counts guest MACs against guestMacs; setMac frees the old guest primary', () => {
    const w = world({ guestMacs: 1 });
    assert.deepEqual(
      w.ask('web', { type: 'addMac', mac: G1 }),
      ack('guest MAC 1 of 1 allowed for vf 0 (web) on sim:nic0/0'),
    );
    assert.deepEqual(
      w.ask('web', { type: 'addMac', mac: G2 }),
      nack(
        'MAC 02:00:00:00:00:f2 is not in the allow-list of vf 0 (web) on sim:nic0/0 (02:00:00:00:00:0a, 02:00:00:00:00:a2) and its 1 guest MAC(s) are in use; add it to macs in the policy',
      ),
    );
    assert.deepEqual(w.settings('web').macFilters, [G1]);
    // Switching the primary to the guest MAC it already holds keeps one guest MAC.
    assert.equal(w.ask('web', { type: 'setMac', mac: G1 }).result, 'ack');
    assert.equal(w.settings('web').mac, G1);
    assert.deepEqual(w.settings('web').macFilters, []);
    assert.equal(w.ask('web', { type: 'setMac', mac: G2 }).result, 'ack');
    assert.equal(w.settings('web').mac, G2);
  });

  it('never gives a MAC another VF holds or reserves, even to a trusted VF', () => {
    const w = world({ trust: true });
    assert.deepEqual(
      w.ask('web', { type: 'addMac', mac: B }),
      nack('MAC 02:00:00:00:00:0b is held by vf 1 (db) on sim:nic0/0'),
    );
    // db moves away from its default; web still may not take it: a reset of db brings it back.
    const w2 = world({ trust: true }, { macs: [B, G2] });
    assert.equal(w2.ask('db', { type: 'setMac', mac: G2 }).result, 'ack');
    assert.deepEqual(
      w2.ask('web', { type: 'setMac', mac: B }),
      nack('MAC 02:00:00:00:00:0b is the default MAC of vf 1 (db) on sim:nic0/0'),
    );
    assert.deepEqual(
      w.ask('web', { type: 'addMac', mac: G1 }),
      ack('vf 0 (web) on sim:nic0/0 is trusted'),
    );
  });

  it('refuses malformed, zero and multicast MACs', () => {
    const w = world({ trust: true });
    assert.deepEqual(
      w.ask('web', { type: 'setMac', mac: 'zz' }),
      nack(
        'MAC "zz" is not well-formed (xx:xx:xx:xx:xx:xx); vf 0 (web) on sim:nic0/0 may only use a unicast MAC',
      ),
    );
    assert.deepEqual(
      w.ask('web', { type: 'addMac', mac: '00:00:00:00:00:00' }),
      nack(
        'MAC 00:00:00:00:00:00 is all zeros; vf 0 (web) on sim:nic0/0 may only add a unicast MAC',
      ),
    );
    assert.deepEqual(
      w.ask('web', { type: 'addMac', mac: '33:33:00:00:00:01' }),
      nack(
        'MAC 33:33:00:00:00:01 is not a unicast address; vf 0 (web) on sim:nic0/0 may only add a unicast MAC',
      ),
    );
  });

  it('acknowledges a MAC the VF already has without change', () => {
    const w = world();
    assert.deepEqual(
      w.ask('web', { type: 'setMac', mac: A }),
      ack('MAC 02:00:00:00:00:0a is already the primary MAC of vf 0 (web) on sim:nic0/0'),
    );
    assert.deepEqual(
      w.ask('web', { type: 'addMac', mac: A }),
      ack('vf 0 (web) on sim:nic0/0 already holds MAC 02:00:00:00:00:0a'),
    );
    assert.deepEqual(w.guests.get('web'), {
      mac: null,
      macs: [],
      vlans: [],
      mtu: null,
      promisc: false,
      allmulti: false,
    });
  });
});

describe('authorise: delMac', () => {
  it('keeps the policy default and the primary', () => {
    const w = world();
    assert.deepEqual(
      w.ask('web', { type: 'delMac', mac: A }),
      ack(
        "MAC 02:00:00:00:00:0a is the policy's default MAC of vf 0 (web) on sim:nic0/0; it stays",
      ),
    );
    assert.equal(w.settings('web').mac, A);
    const g = world({ guestMacs: 1 });
    g.ask('web', { type: 'setMac', mac: G1 });
    assert.deepEqual(
      g.ask('web', { type: 'delMac', mac: G1 }),
      ack(
        'MAC 02:00:00:00:00:f1 is the primary MAC of vf 0 (web) on sim:nic0/0; it stays (setMac changes it)',
      ),
    );
    assert.equal(g.settings('web').mac, G1);
  });

  it('clears only guest-added MACs, never the MACs the policy lists (VFd wiped them)', () => {
    const w = world({ guestMacs: 2 });
    w.ask('web', { type: 'addMac', mac: A2 });
    w.ask('web', { type: 'addMac', mac: G1 });
    w.ask('web', { type: 'addMac', mac: G2 });
    assert.deepEqual(w.settings('web').macFilters, [A2, G1, G2]);
    assert.deepEqual(
      w.ask('web', { type: 'delMac' }),
      ack(
        "cleared 2 guest-added MAC(s) of vf 0 (web) on sim:nic0/0: 02:00:00:00:00:f1, 02:00:00:00:00:f2; the policy's MACs (02:00:00:00:00:0a, 02:00:00:00:00:a2) stay",
      ),
    );
    assert.equal(w.settings('web').mac, A);
    assert.deepEqual(w.settings('web').macFilters, [A2]);
    assert.deepEqual(
      w.ask('web', { type: 'delMac' }),
      ack(
        "vf 0 (web) on sim:nic0/0 has no guest-added MACs to clear; the policy's MACs (02:00:00:00:00:0a, 02:00:00:00:00:a2) stay",
      ),
    );
  });

  it('releases a taken allow-list MAC on request (HA failover) and removes guest MACs', () => {
    const w = world({ guestMacs: 1 });
    w.ask('web', { type: 'addMac', mac: A2 });
    w.ask('web', { type: 'addMac', mac: G1 });
    assert.deepEqual(
      w.ask('web', { type: 'delMac', mac: A2 }),
      ack(
        'released MAC 02:00:00:00:00:a2 from vf 0 (web) on sim:nic0/0; its policy still allows it',
      ),
    );
    assert.deepEqual(
      w.ask('web', { type: 'delMac', mac: G1 }),
      ack('removed guest MAC 02:00:00:00:00:f1 from vf 0 (web) on sim:nic0/0'),
    );
    assert.deepEqual(w.settings('web').macFilters, []);
    assert.deepEqual(
      w.ask('web', { type: 'delMac', mac: G2 }),
      ack('vf 0 (web) on sim:nic0/0 does not hold MAC 02:00:00:00:00:f2; nothing to delete'),
    );
    assert.equal(w.ask('web', { type: 'delMac', mac: 'nope' }).result, 'nack');
  });
});

describe('authorise: VLANs', () => {
  it('a port VLAN stays one: even a trusted guest joins no VLAN beside it (as igb refuses)', () => {
    const w = world({ vlans: [100], trust: true });
    const d = w.ask('web', { type: 'addVlan', vlan: 300 });
    assert.equal(d.result, 'nack');
    assert.match(d.reason, /port VLAN 100: the NIC takes no guest VLAN beside it/);
    const s = w.settings('web');
    assert.deepEqual([s.vlans, s.vlanFilters, s.untagged], [[100], [], false]);
  });

  it('a VLAN a trusted trunk guest joins is a filter beside the mode', () => {
    const w = world({ vlans: [100, 200], trust: true });
    assert.equal(w.ask('web', { type: 'addVlan', vlan: 300 }).result, 'ack');
    const s = w.settings('web');
    assert.deepEqual([s.vlans, s.vlanFilters], [[100, 200], [300]]);
  });

  it('a flat trusted VF that joins a VLAN still takes untagged frames', () => {
    const w = world({ vlans: [], untagged: true, trust: true });
    assert.equal(w.ask('web', { type: 'addVlan', vlan: 42 }).result, 'ack');
    const s = w.settings('web');
    assert.deepEqual([s.vlans, s.vlanFilters, s.untagged], [[], [42], true]);
  });

  it('allows policy VLANs, refuses others unless trusted, and out-of-range always', () => {
    const w = world();
    assert.deepEqual(
      w.ask('web', { type: 'addVlan', vlan: 10 }),
      ack('VLAN 10 is already allowed by the policy of vf 0 (web) on sim:nic0/0'),
    );
    assert.deepEqual(
      w.ask('web', { type: 'addVlan', vlan: 30 }),
      nack(
        'VLAN 30 is not in the allow-list of vf 0 (web) on sim:nic0/0 (10, 20); add it to vlans in the policy',
      ),
    );
    const t = world({ trust: true });
    assert.deepEqual(
      t.ask('web', { type: 'addVlan', vlan: 30 }),
      ack('vf 0 (web) on sim:nic0/0 is trusted'),
    );
    assert.deepEqual(t.settings('web').vlans, [10, 20]);
    assert.deepEqual(t.settings('web').vlanFilters, [30]);
    assert.deepEqual(
      t.ask('web', { type: 'addVlan', vlan: 4095 }),
      nack('VLAN 4095 is out of range 1-4094'),
    );
  });

  it('keeps policy VLANs on delVlan and removes guest ones', () => {
    const t = world({ trust: true });
    t.ask('web', { type: 'addVlan', vlan: 30 });
    assert.deepEqual(
      t.ask('web', { type: 'delVlan', vlan: 10 }),
      ack('VLAN 10 is in the policy of vf 0 (web) on sim:nic0/0; it stays'),
    );
    assert.deepEqual(
      t.ask('web', { type: 'delVlan', vlan: 30 }),
      ack('removed guest VLAN 30 from vf 0 (web) on sim:nic0/0'),
    );
    assert.deepEqual(t.settings('web').vlans, [10, 20]);
    assert.deepEqual(
      t.ask('web', { type: 'delVlan', vlan: 99 }),
      ack('vf 0 (web) on sim:nic0/0 is not in VLAN 99; nothing to remove'),
    );
  });

  it('refuses VLANs on an untagged VF unless trusted', () => {
    const w = world({ vlans: [], untagged: true });
    assert.deepEqual(
      w.ask('web', { type: 'addVlan', vlan: 10 }),
      nack('vf 0 (web) on sim:nic0/0 is on a flat (untagged) network; VLAN 10 refused'),
    );
    const t = world({ vlans: [], untagged: true, trust: true });
    assert.equal(t.ask('web', { type: 'addVlan', vlan: 10 }).result, 'ack');
  });
});

describe('authorise: MTU, modes, reset', () => {
  it('limits the MTU to 68..policy mtu (or the PF mtu)', () => {
    const w = world({ mtu: 1400 });
    assert.deepEqual(
      w.ask('web', { type: 'setMtu', mtu: 1500 }),
      nack('MTU 1500 is out of range 68-1400 for vf 0 (web) on sim:nic0/0'),
    );
    assert.deepEqual(
      w.ask('web', { type: 'setMtu', mtu: 1280 }),
      ack('MTU 1280 is within 68-1400'),
    );
    assert.equal(w.settings('web').mtu, 1280);
    assert.deepEqual(
      w.ask('db', { type: 'setMtu', mtu: 67 }),
      nack('MTU 67 is out of range 68-1500 for vf 1 (db) on sim:nic0/0'),
    );
  });

  it('grants promiscuous and all-multicast modes only where the policy allows', () => {
    const w = world({ allowMulticast: false });
    assert.deepEqual(
      w.ask('web', { type: 'setPromisc', enable: true }),
      nack(
        'promiscuous mode refused: the policy of vf 0 (web) on sim:nic0/0 has allowUnknownUnicast: false',
      ),
    );
    assert.deepEqual(
      w.ask('web', { type: 'setAllmulti', enable: true }),
      nack(
        'all-multicast mode refused: the policy of vf 0 (web) on sim:nic0/0 has allowMulticast: false',
      ),
    );
    assert.deepEqual(
      w.ask('web', { type: 'setPromisc', enable: false }),
      ack('promiscuous mode off'),
    );
    assert.deepEqual(
      w.ask('db', { type: 'setAllmulti', enable: true }),
      ack('all-multicast mode allowed by allowMulticast of vf 1 (db) on sim:nic0/0'),
    );
    assert.equal(w.settings('db').allmulti, true);
    const u = world({ allowUnknownUnicast: true });
    assert.equal(u.ask('web', { type: 'setPromisc', enable: true }).result, 'ack');
    assert.equal(u.settings('web').promisc, true);
  });

  it('reset returns the VF to its policy', () => {
    const w = world({ guestMacs: 1, trust: true });
    w.ask('web', { type: 'setMac', mac: G1 });
    w.ask('web', { type: 'addVlan', vlan: 99 });
    w.ask('web', { type: 'setMtu', mtu: 1000 });
    assert.deepEqual(
      w.ask('web', { type: 'reset' }),
      ack('vf 0 (web) on sim:nic0/0 returns to its policy'),
    );
    const s = w.settings('web');
    assert.deepEqual([s.mac, s.macFilters, s.vlans, s.mtu], [A, [], [10, 20], 1500]);
  });
});

describe('authorise: guarded trust (one allow-listed MAC at a time)', () => {
  it('switches to an allow-listed MAC, refuses others and any second filter', () => {
    const w = world({ trust: 'guarded' });
    assert.deepEqual(
      w.ask('web', { type: 'setMac', mac: A2 }),
      ack('MAC 02:00:00:00:00:a2 is in the policy of vf 0 (web) on sim:nic0/0'),
    );
    assert.equal(w.ask('web', { type: 'setMac', mac: G1 }).result, 'nack');
    assert.deepEqual(
      w.ask('web', { type: 'addMac', mac: A }),
      nack(
        'vf 0 (web) on sim:nic0/0 has guarded trust: it uses one MAC of its policy at a time; switch with setMac instead of adding 02:00:00:00:00:0a',
      ),
    );
    // Guarded is not trusted: the VLAN and promiscuous rules of the policy still hold.
    assert.equal(w.ask('web', { type: 'addVlan', vlan: 99 }).result, 'nack');
    assert.equal(w.ask('web', { type: 'setPromisc', enable: true }).result, 'nack');
  });
});
