import assert from 'node:assert/strict';
import { test } from 'node:test';
import { macToNum } from '../../../src/drivers/sim/mac.js';
import { HOST_INDEX } from '../../../src/drivers/sim/vf.js';
import type { Decision, GuestRequest } from '../../../src/model/index.js';
import { mac, PF, program, rig } from './kit.js';

const ACK: Decision = { result: 'ack', reason: 'allowed by policy' };
const NACK: Decision = { result: 'nack', reason: 'not in the allow-list' };

/** Guest request → the VF setting after an ack. */
const CASES: { req: GuestRequest; field: string; value: unknown }[] = [
  { req: { type: 'setMac', mac: '02:AA:00:00:00:01' }, field: 'mac', value: '02:aa:00:00:00:01' },
  {
    req: { type: 'addMac', mac: '02:aa:00:00:00:02' },
    field: 'macFilters',
    value: ['02:aa:00:00:00:02', '02:aa:00:00:00:09'],
  },
  { req: { type: 'delMac', mac: '02:aa:00:00:00:09' }, field: 'macFilters', value: [] },
  { req: { type: 'delMac' }, field: 'macFilters', value: [] },
  // Joined VLANs are filters beside the programmed VLANs, which a guest cannot remove.
  { req: { type: 'addVlan', vlan: 300 }, field: 'vlanFilters', value: [300, 400] },
  { req: { type: 'delVlan', vlan: 400 }, field: 'vlanFilters', value: [] },
  { req: { type: 'delVlan', vlan: 100 }, field: 'vlans', value: [100, 200] },
  { req: { type: 'setMtu', mtu: 1400 }, field: 'mtu', value: 1400 },
  { req: { type: 'setPromisc', enable: true }, field: 'promisc', value: true },
  { req: { type: 'setAllmulti', enable: true }, field: 'allmulti', value: true },
];

function setup() {
  const r = rig(2);
  program(r.nic, 0, {
    vlans: [100, 200],
    vlanFilters: [400],
    macFilters: ['02:aa:00:00:00:09'],
  });
  const seen: [string, number, GuestRequest][] = [];
  return { ...r, seen };
}

for (const c of CASES) {
  test(`mailbox: ${c.req.type} is applied on ack and not on nack`, async () => {
    const { nic, seen } = setup();
    const before = structuredClone(nic.pf(PF).vf(0).settings);
    nic.setGuestRequestHandler(async (pf, vf, req) => {
      seen.push([pf, vf, req]);
      return NACK;
    });
    assert.deepEqual(await nic.guestRequest(PF, 0, c.req), NACK);
    assert.deepEqual(nic.pf(PF).vf(0).settings, before, 'nack changes nothing');
    nic.setGuestRequestHandler(async () => ACK);
    assert.deepEqual(await nic.guestRequest(PF, 0, c.req), ACK);
    const s = nic.pf(PF).vf(0).settings as unknown as Record<string, unknown>;
    assert.deepEqual(s[c.field], c.value);
    assert.deepEqual(seen, [[PF, 0, c.req]], 'the handler saw the request');
    assert.deepEqual(nic.pf(PF).vf(0).programmed, before, 'programmed settings stay');
  });
}

test('mailbox: setMac to a filtered MAC moves it out of the filters, and traffic follows', async () => {
  const { nic } = setup();
  nic.setGuestRequestHandler(async () => ACK);
  await nic.guestRequest(PF, 0, { type: 'setMac', mac: '02:aa:00:00:00:09' });
  const s = nic.pf(PF).vf(0).settings;
  assert.equal(s.mac, '02:aa:00:00:00:09');
  assert.deepEqual(s.macFilters, []);
  assert.equal(nic.pf(PF).macTable.owner('02:aa:00:00:00:09')?.index, 0);
  assert.equal(nic.pf(PF).macTable.owner(mac(0)), undefined, `old ${mac(0)} is gone`);
});

test('mailbox: reset returns the VF to what the hypervisor programmed', async () => {
  const { nic } = setup();
  nic.setGuestRequestHandler(async () => ACK);
  await nic.guestRequest(PF, 0, { type: 'addVlan', vlan: 300 });
  await nic.guestRequest(PF, 0, { type: 'setPromisc', enable: true });
  await nic.guestRequest(PF, 0, { type: 'reset' });
  const vf = nic.pf(PF).vf(0);
  assert.deepEqual(vf.settings, vf.programmed);
  assert.deepEqual(vf.settings.vlans, [100, 200]);
  assert.equal(vf.acceptUnknown, false, 'the datapath follows the reset');
});

test('mailbox: without a handler every request is refused', async () => {
  const { nic } = setup();
  const d = await nic.guestRequest(PF, 0, { type: 'setMtu', mtu: 1400 });
  assert.equal(d.result, 'nack');
  assert.match(d.reason, /no hypervisor/);
});

test('mailbox: a malformed request is refused without asking the hypervisor', async () => {
  const { nic, seen } = setup();
  nic.setGuestRequestHandler(async (pf, vf, req) => {
    seen.push([pf, vf, req]);
    return ACK;
  });
  const d = await nic.guestRequest(PF, 0, { type: 'setMtu', mtu: 'big' });
  assert.equal(d.result, 'nack');
  assert.match(d.reason, /malformed/);
  assert.equal(seen.length, 0);
});

test('mailbox: an ack the NIC cannot carry out becomes a nack naming the limit', async () => {
  const { nic } = setup();
  nic.setGuestRequestHandler(async () => ACK);
  const d = await nic.guestRequest(PF, 0, { type: 'setMtu', mtu: 9000 });
  assert.equal(d.result, 'nack');
  assert.match(d.reason, /MTU 9000 is out of range 68-1500/);
  assert.equal(nic.pf(PF).vf(0).settings.mtu, 1500);
});

test('mailbox: a handler that throws is a nack', async () => {
  const { nic } = setup();
  nic.setGuestRequestHandler(async () => {
    throw new Error('audit log full');
  });
  const d = await nic.guestRequest(PF, 0, { type: 'setPromisc', enable: true });
  assert.deepEqual(d, { result: 'nack', reason: 'hypervisor failed to answer: audit log full' });
});

test('drift: resetPf forgets everything and emits pfReset; poke emits changed', () => {
  const { nic } = setup();
  const events: unknown[] = [];
  const off = nic.on((e) => events.push(e));
  nic.pf(PF).setMirror(0, { targetVf: 1, direction: 'in' });
  nic.pf(PF).loopback = false;
  nic.sendFromWire(PF, Buffer.alloc(64));
  nic.resetPf(PF);
  const pf = nic.pf(PF);
  assert.equal(pf.numVfs, 2, 'the VFs survive a PF reset, their settings do not');
  assert.deepEqual(pf.vf(0).settings.vlans, []);
  assert.equal(pf.vf(0).settings.mac, '00:00:00:00:00:00');
  assert.equal(pf.vf(0).mirror, null);
  assert.equal(pf.loopback, true);
  assert.equal(pf.counters[0], 0, 'counters restart');
  nic.poke(PF, 1, 'vlans', [42]);
  assert.deepEqual(pf.vf(1).settings.vlans, [42]);
  assert.deepEqual(events, [
    { type: 'pfReset', pf: PF, reason: 'PF reset (simulated)' },
    { type: 'changed', pf: PF, vf: 1, reason: 'vlans set to [42] outside nicvisor' },
  ]);
  off();
  nic.resetPf(PF);
  assert.equal(events.length, 2, 'unsubscribed');
  assert.throws(
    () => nic.poke(PF, 1, 'vlans', [5000]),
    /vf 1 on sim:nic0\/0: vlans: VLAN 5000 is out of range 1-4094/,
  );
});

test('mailbox: setMulticastList fills the PF multicast table on ack, not on nack', async () => {
  const { nic } = setup();
  const pf = nic.pf(PF);
  const group = '01:00:5e:00:00:fb';
  nic.setGuestRequestHandler(async () => NACK);
  await nic.guestRequest(PF, 0, { type: 'setMulticastList', groups: [group] });
  assert.equal(pf.multicast.hasMac(macToNum(group)), false, 'nack joins nothing');
  nic.setGuestRequestHandler(async () => ACK);
  await nic.guestRequest(PF, 0, { type: 'setMulticastList', groups: [group, group] });
  assert.deepEqual(pf.vf(0).groups, [macToNum(group)]);
  assert.equal(pf.multicast.hasMac(macToNum(group)), true);
  await nic.guestRequest(PF, 0, { type: 'setMulticastList', groups: [] });
  assert.equal(pf.multicast.hasMac(macToNum(group)), false, 'the new list replaces the old');
});

test('mailbox: a guest reset and a PF reset leave the VF’s groups; the host keeps its own', async () => {
  const { nic } = setup();
  const pf = nic.pf(PF);
  nic.setGuestRequestHandler(async () => ACK);
  await nic.guestRequest(PF, 0, { type: 'setMulticastList', groups: ['01:00:5e:00:00:01'] });
  await nic.guestRequest(PF, 0, { type: 'reset' });
  assert.deepEqual(pf.vf(0).groups, [], 'a VF reset clears its multicast list');
  await nic.guestRequest(PF, 1, { type: 'setMulticastList', groups: ['01:00:5e:00:00:02'] });
  pf.setGroups(HOST_INDEX, ['01:00:5e:00:00:03']);
  nic.resetPf(PF);
  assert.deepEqual(pf.vf(1).groups, []);
  assert.equal(pf.multicast.hasMac(macToNum('01:00:5e:00:00:02')), false);
  assert.equal(pf.multicast.hasMac(macToNum('01:00:5e:00:00:03')), true, 'the host’s group stays');
});

test('mailbox: a list the NIC cannot hold becomes a nack naming the limit', async () => {
  const { nic } = setup();
  nic.setGuestRequestHandler(async () => ACK);
  const d = await nic.guestRequest(PF, 0, {
    type: 'setMulticastList',
    groups: ['ff:ff:ff:ff:ff:ff'],
  });
  assert.equal(d.result, 'nack');
  assert.match(
    d.reason,
    /vf 0 on sim:nic0\/0: multicast groups: "ff:ff:ff:ff:ff:ff" is not a multicast group MAC/,
  );
});
