import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ack, nack } from '../../src/policy/authorise-mac.js';
import { mainInput, PF0, PF1, problems, vf } from './fixtures.js';
import { World } from './world.js';

/**
 * An HA pair of firewall guests (vSRX-style, trust off) with one VF on each of two PFs.
 * The cluster's virtual MACs (one per PF) are in both nodes' allow-lists; on failover the
 * new active node takes them.
 */
describe('scenario: HA firewall pair on two PFs, trust off', () => {
  const VMAC0 = '02:00:5e:00:01:00';
  const VMAC1 = '02:00:5e:00:01:01';
  const policies = [
    vf('fw-a-0', PF0, 0, { macs: ['02:aa:00:00:00:00', VMAC0] }),
    vf('fw-a-1', PF1, 0, { macs: ['02:aa:00:00:00:01', VMAC1] }),
    vf('fw-b-0', PF0, 1, { macs: ['02:bb:00:00:00:00', VMAC0] }),
    vf('fw-b-1', PF1, 1, { macs: ['02:bb:00:00:00:01', VMAC1] }),
  ];

  it('validates: overlapping allow-lists are the HA case', () => {
    assert.deepEqual(problems(policies), []);
  });

  it('standby takes the virtual MAC only after the active released it, and no other', () => {
    const w = new World(mainInput(), policies);
    assert.equal(w.ask('fw-a-0', { type: 'addMac', mac: VMAC0 }).result, 'ack');
    assert.equal(w.ask('fw-a-1', { type: 'addMac', mac: VMAC1 }).result, 'ack');

    // Failover while node a still holds the MACs: refused on both PFs.
    assert.deepEqual(
      w.ask('fw-b-0', { type: 'addMac', mac: VMAC0 }),
      nack('MAC 02:00:5e:00:01:00 is held by vf 0 (fw-a-0) on sim:nic0/0'),
    );
    assert.deepEqual(
      w.ask('fw-b-1', { type: 'setMac', mac: VMAC1 }),
      nack('MAC 02:00:5e:00:01:01 is held by vf 0 (fw-a-1) on sim:nic0/1'),
    );
    // Any other MAC is refused: it is not in the allow-list and guestMacs is 0.
    assert.deepEqual(
      w.ask('fw-b-0', { type: 'addMac', mac: '02:00:5e:00:01:99' }),
      nack(
        'MAC 02:00:5e:00:01:99 is not in the allow-list of vf 1 (fw-b-0) on sim:nic0/0 (02:bb:00:00:00:00, 02:00:5e:00:01:00) and the policy allows no MACs of the guest’s own (guestMacs: 0); add it to macs in the policy',
      ),
    );

    // Node a releases (one by delMac, one by a VF reset), node b takes over.
    assert.equal(w.ask('fw-a-0', { type: 'delMac', mac: VMAC0 }).result, 'ack');
    assert.equal(w.ask('fw-a-1', { type: 'reset' }).result, 'ack');
    assert.deepEqual(
      w.ask('fw-b-0', { type: 'addMac', mac: VMAC0 }),
      ack('MAC 02:00:5e:00:01:00 is in the policy of vf 1 (fw-b-0) on sim:nic0/0'),
    );
    assert.deepEqual(
      w.ask('fw-b-1', { type: 'setMac', mac: VMAC1 }),
      ack('MAC 02:00:5e:00:01:01 is in the policy of vf 1 (fw-b-1) on sim:nic0/1'),
    );
    assert.deepEqual(w.settings('fw-b-0').macFilters, [VMAC0]);
    assert.equal(w.settings('fw-b-1').mac, VMAC1);
    // And now node a is the one refused.
    assert.equal(w.ask('fw-a-0', { type: 'setMac', mac: VMAC0 }).result, 'nack');
  });
});

describe('scenario: a flat-network VF next to tagged VFs on one PF', () => {
  const policies = [
    vf('flat', PF0, 0, { untagged: true, macs: ['02:00:00:00:01:00'] }),
    vf('tag-100', PF0, 1, { vlans: [100], macs: ['02:00:00:00:01:01'] }),
    vf('trunk', PF0, 2, { vlans: [200, 201], stripOuterTag: false, macs: ['02:00:00:00:01:02'] }),
  ];

  it('validates, and each VF keeps its own VLAN view', () => {
    assert.deepEqual(problems(policies), []);
    const w = new World(mainInput(), policies);
    assert.deepEqual(w.settings('flat').vlans, []);
    assert.equal(w.settings('flat').untagged, true);
    assert.deepEqual(w.settings('tag-100').vlans, [100]);
    assert.deepEqual(w.settings('trunk').vlans, [200, 201]);
  });

  it("refuses the flat VF any VLAN, even a neighbour's, and the tagged VFs each other's", () => {
    const w = new World(mainInput(), policies);
    assert.deepEqual(
      w.ask('flat', { type: 'addVlan', vlan: 100 }),
      nack('vf 0 (flat) on sim:nic0/0 is on a flat (untagged) network; VLAN 100 refused'),
    );
    assert.deepEqual(
      w.ask('tag-100', { type: 'addVlan', vlan: 200 }),
      nack(
        'VLAN 200 is not in the allow-list of vf 1 (tag-100) on sim:nic0/0 (100); add it to vlans in the policy',
      ),
    );
    assert.equal(w.ask('trunk', { type: 'addVlan', vlan: 201 }).result, 'ack');
    assert.deepEqual(w.settings('flat').vlans, []);
    assert.deepEqual(w.settings('tag-100').vlans, [100]);
  });

  it('refuses a flat VF that also lists VLANs', () => {
    const bad = [{ ...policies[0], vlans: [100] }, policies[1]];
    assert.deepEqual(
      problems(bad).map((p) => p.message),
      ['vf 0 (flat) on sim:nic0/0: untagged is true but vlans lists 100'],
    );
  });
});
