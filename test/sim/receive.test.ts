import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameSpec } from '../../src/drivers/sim/build.js';
import type { VfCounters, VfSettings } from '../../src/model/index.js';
import {
  assertCounters,
  BCAST,
  counters,
  frame,
  MCAST,
  mac,
  PF,
  program,
  rig,
  tagsOf,
  UNKNOWN,
  WIRE_MAC,
} from './kit.js';

/** Wire → VF 0: what VF 0 is programmed with, what arrives, and what VF 0 must see. */
interface RxCase {
  name: string;
  vf: Partial<VfSettings>;
  frame: Partial<FrameSpec>;
  /** Tags of the delivered frame (outer first), or null when it must not be delivered. */
  delivered: string[] | null;
  /** Length change on delivery (-4 when the NIC strips a tag). */
  lenDelta?: number;
  counters?: Partial<VfCounters>;
}

const Q = (vid: number, pcp = 0) => ({ proto: '802.1Q' as const, vid, pcp });
const AD = (vid: number, pcp = 0) => ({ proto: '802.1ad' as const, vid, pcp });
const PORT100 = { vlans: [100], stripOuterTag: true };

const CASES: RxCase[] = [
  { name: 'untagged VF gets untagged unicast', vf: { untagged: true }, frame: {}, delivered: [] },
  {
    name: 'untagged VF does not get a tagged frame',
    vf: { untagged: true },
    frame: { tags: [Q(100)] },
    delivered: null,
  },
  {
    name: 'port VLAN gets its VLAN, tag stripped',
    vf: PORT100,
    frame: { tags: [Q(100, 3)] },
    delivered: [],
    lenDelta: -4,
  },
  { name: 'port VLAN drops another VLAN', vf: PORT100, frame: { tags: [Q(200)] }, delivered: null },
  { name: 'port VLAN drops untagged', vf: PORT100, frame: {}, delivered: null },
  {
    name: 'trunk without strip keeps the tag',
    vf: { vlans: [100, 200], stripOuterTag: false },
    frame: { tags: [Q(200)] },
    delivered: ['8100/200/0'],
  },
  {
    name: 'trunk drops a VLAN not in its list',
    vf: { vlans: [100, 200], stripOuterTag: false },
    frame: { tags: [Q(300)] },
    delivered: null,
  },
  {
    name: 'trunk with strip strips the outer tag',
    vf: { vlans: [100, 200], stripOuterTag: true },
    frame: { tags: [Q(100)] },
    delivered: [],
    lenDelta: -4,
  },
  {
    name: 'QinQ: 802.1ad port VLAN strips the S-tag, the C-tag stays',
    vf: { vlans: [10], vlanProto: '802.1ad' },
    frame: { tags: [AD(10), Q(100)] },
    delivered: ['8100/100/0'],
    lenDelta: -4,
  },
  {
    name: 'QinQ: 802.1ad VF ignores a C-tag with its VLAN number',
    vf: { vlans: [10], vlanProto: '802.1ad' },
    frame: { tags: [Q(10)] },
    delivered: null,
  },
  {
    name: '802.1Q VF ignores an S-tag with its VLAN number',
    vf: PORT100,
    frame: { tags: [AD(100)] },
    delivered: null,
  },
  {
    name: 'VF without VLAN config passes tagged frames through',
    vf: {},
    frame: { tags: [Q(100)] },
    delivered: ['8100/100/0'],
  },
  {
    name: 'a MAC filter receives like the primary MAC',
    vf: { macFilters: ['02:00:00:00:aa:01'] },
    frame: { dst: '02:00:00:00:aa:01' },
    delivered: [],
  },
  {
    name: 'broadcast delivered with allowBroadcast',
    vf: { allowBroadcast: true },
    frame: { dst: BCAST },
    delivered: [],
    counters: { rxBroadcast: 1, rxMulticast: 0 },
  },
  {
    name: 'broadcast refused without allowBroadcast',
    vf: { allowBroadcast: false },
    frame: { dst: BCAST },
    delivered: null,
    counters: { rxBroadcast: 0 },
  },
  {
    name: 'multicast delivered with allowMulticast',
    vf: { allowMulticast: true },
    frame: { dst: MCAST },
    delivered: [],
    counters: { rxMulticast: 1, rxBroadcast: 0 },
  },
  {
    name: 'multicast refused without allowMulticast',
    vf: { allowMulticast: false },
    frame: { dst: MCAST },
    delivered: null,
  },
  {
    name: 'multicast delivered to an allmulti guest',
    vf: { allowMulticast: false, allmulti: true },
    frame: { dst: MCAST },
    delivered: [],
  },
  {
    name: 'unknown unicast refused by default',
    vf: { allowUnknownUnicast: false },
    frame: { dst: UNKNOWN },
    delivered: null,
  },
  {
    name: 'unknown unicast delivered with allowUnknownUnicast',
    vf: { allowUnknownUnicast: true },
    frame: { dst: UNKNOWN },
    delivered: [],
  },
  {
    name: 'unknown unicast delivered to a promiscuous guest',
    vf: { promisc: true },
    frame: { dst: UNKNOWN },
    delivered: [],
  },
  {
    name: 'broadcast in another VLAN is not flooded to a port VLAN',
    vf: PORT100,
    frame: { dst: BCAST, tags: [Q(200)] },
    delivered: null,
  },
  {
    name: 'payload of exactly the MTU is delivered',
    vf: { mtu: 1500 },
    frame: { size: 1514 },
    delivered: [],
  },
  {
    name: 'oversize frame dropped as an rx error',
    vf: { mtu: 1500 },
    frame: { size: 1515 },
    delivered: null,
    counters: { rxErrors: 1, rxPackets: 0 },
  },
  {
    name: 'the stripped tag does not count against the MTU',
    vf: { ...PORT100, mtu: 1500 },
    frame: { size: 1518, tags: [Q(100)] },
    delivered: [],
    lenDelta: -4,
  },
  {
    name: 'small MTU drops a normal frame',
    vf: { mtu: 576 },
    frame: { size: 1000 },
    delivered: null,
    counters: { rxErrors: 1 },
  },
  {
    name: 'link disabled drops everything',
    vf: { linkState: 'disable' },
    frame: {},
    delivered: null,
    counters: { rxDropped: 1, rxPackets: 0 },
  },
];

for (const c of CASES) {
  test(`rx: ${c.name}`, () => {
    const { nic } = rig(2);
    program(nic, 0, c.vf);
    const cap = nic.capture(PF, 0);
    const f = frame(c.frame);
    const taken = nic.sendFromWire(PF, f);
    if (c.delivered === null) {
      assert.equal(cap.frames.length, 0, 'nothing delivered');
    } else {
      assert.equal(cap.frames.length, 1, 'one frame delivered');
      const got = cap.frames[0].data;
      assert.deepEqual(tagsOf(got), c.delivered, 'tags on delivery');
      assert.equal(got.length, f.length + (c.lenDelta ?? 0), 'length on delivery');
      assert.equal(taken, true);
      assertCounters(
        counters(nic, 0),
        { rxPackets: 1, rxBytes: got.length },
        'rx counters of the VF',
      );
    }
    if (c.counters) assertCounters(counters(nic, 0), c.counters, 'named counters');
    assertCounters(counters(nic, 'pf'), { rxPackets: 1, rxBytes: f.length }, 'PF counts the wire');
  });
}

test('rx: a runt frame from the wire is a PF error and reaches nobody', () => {
  const { nic } = rig(2);
  const cap = nic.capture(PF, 0);
  assert.equal(nic.sendFromWire(PF, Buffer.alloc(10)), false);
  assert.equal(cap.frames.length, 0);
  assertCounters(counters(nic, 'pf'), { rxErrors: 1 }, 'PF rx error');
});

test('rx: a frame no VF takes is counted as dropped on the PF', () => {
  const { nic } = rig(2);
  nic.sendFromWire(PF, frame({ dst: UNKNOWN }));
  assertCounters(counters(nic, 'pf'), { rxDropped: 1 }, 'PF drop');
});

test('rx: uplink down: auto VFs are down and get nothing; enable VFs stay up', () => {
  const { nic } = rig(2);
  program(nic, 1, { linkState: 'enable' });
  nic.setWireLink(PF, false);
  assert.equal(nic.pf(PF).vf(0).linkUp, false);
  assert.equal(nic.pf(PF).vf(1).linkUp, true);
  assert.equal(nic.sendFromWire(PF, frame({})), false);
  assert.equal(counters(nic, 0).rxPackets, 0);
});

test('rx: broadcast floods every accepting VF of the PF once', () => {
  const { nic } = rig(4);
  program(nic, 2, { allowBroadcast: false });
  nic.sendFromWire(PF, frame({ dst: BCAST, src: WIRE_MAC }));
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => counters(nic, i).rxBroadcast),
    [1, 1, 0, 1],
  );
  assert.equal(mac(3), '02:00:00:00:00:03');
});
