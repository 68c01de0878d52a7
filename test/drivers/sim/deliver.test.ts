import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameSpec } from '../../../src/drivers/sim/build.js';
import type { VfCounters, VfSettings } from '../../../src/model/index.js';
import {
  assertCounters,
  BCAST,
  counters,
  frame,
  join,
  MCAST,
  PF,
  program,
  type Rig,
  rig,
  tagsOf,
  UNKNOWN,
} from './kit.js';

/** Wire → VF 0: what VF 0 is programmed with, what arrives, and what VF 0 must see. */
interface RxCase {
  name: string;
  /** The hardware behaviour the case models. */
  hw: string;
  vf: Partial<VfSettings>;
  setup?: (r: Rig) => void;
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
const TRUNK = { vlans: [100, 200], stripOuterTag: false };
const AUPE = 'a pool without a port VLAN accepts untagged frames (82599 VMOLR.AUPE on)';
const VLVF =
  'each pool has a VLAN filter; VIDs it is not a member of are dropped (82599 VLVF/VFTA)';
const PRIO =
  'VID 0 is in every filter (Linux 8021q adds it on NETDEV_UP): priority tags pass, kept';
const VMVIR =
  'a port VLAN (82599 VMVIR) takes only its VID, stripped; untagged is refused (AUPE off)';
const MTA = 'multicast passes when the group hits the PF-wide MTA (82599 VMOLR.ROMPE)';
const RLPML = 'the pool receive length limit is MTU + 18 (header, one tag), FCS excluded (RLPML)';

const CASES: RxCase[] = [
  { name: 'a VF without VLANs gets untagged', hw: AUPE, vf: {}, frame: {}, delivered: [] },
  {
    name: 'a VF without VLANs gets priority-tagged frames, tag kept',
    hw: PRIO,
    vf: {},
    frame: { tags: [Q(0, 5)] },
    delivered: ['8100/0/5'],
  },
  {
    name: 'a VF without VLANs does not get VLAN 100 (filtering is always on)',
    hw: VLVF,
    vf: {},
    frame: { tags: [Q(100)] },
    delivered: null,
  },
  {
    name: 'an untagged (flat) VF gets untagged, not VLAN 100',
    hw: VLVF,
    vf: { untagged: true },
    frame: { tags: [Q(100)] },
    delivered: null,
  },
  {
    name: 'port VLAN gets its VLAN, stripped',
    hw: VMVIR,
    vf: PORT100,
    frame: { tags: [Q(100, 3)] },
    delivered: [],
    lenDelta: -4,
  },
  {
    name: 'port VLAN drops another VLAN',
    hw: VMVIR,
    vf: PORT100,
    frame: { tags: [Q(200)] },
    delivered: null,
  },
  { name: 'port VLAN drops untagged', hw: VMVIR, vf: PORT100, frame: {}, delivered: null },
  {
    name: 'port VLAN drops priority-tagged',
    hw: VMVIR,
    vf: PORT100,
    frame: { tags: [Q(0)] },
    delivered: null,
  },
  {
    name: 'trunk keeps the tag of a member VLAN',
    hw: VLVF,
    vf: TRUNK,
    frame: { tags: [Q(200)] },
    delivered: ['8100/200/0'],
  },
  {
    name: 'trunk drops a VLAN not in its list',
    hw: VLVF,
    vf: TRUNK,
    frame: { tags: [Q(300)] },
    delivered: null,
  },
  { name: 'trunk gets untagged', hw: AUPE, vf: TRUNK, frame: {}, delivered: [] },
  {
    name: 'trunk with strip strips a member tag',
    hw: 'VLAN strip is per pool (82599 RXDCTL.VME on the VF queues)',
    vf: { vlans: [100, 200], stripOuterTag: true },
    frame: { tags: [Q(100)] },
    delivered: [],
    lenDelta: -4,
  },
  {
    name: 'QinQ: 802.1ad port VLAN strips the S-tag, the C-tag stays',
    hw: 'the VLAN ethertype is the S-tag in QinQ mode (82599 DMATXCTL.GDV, X710 outer VLAN)',
    vf: { vlans: [10], vlanProto: '802.1ad' },
    frame: { tags: [AD(10), Q(100)] },
    delivered: ['8100/100/0'],
    lenDelta: -4,
  },
  {
    name: 'QinQ: 802.1ad port VLAN ignores a C-tag with its VLAN number',
    hw: 'a C-tag is not the outer VLAN of an 802.1ad port',
    vf: { vlans: [10], vlanProto: '802.1ad' },
    frame: { tags: [Q(10)] },
    delivered: null,
  },
  {
    name: '802.1Q VF ignores an S-tag with its VLAN number',
    hw: 'an S-tag is not a VLAN tag for an 802.1Q port',
    vf: PORT100,
    frame: { tags: [AD(100)] },
    delivered: null,
  },
  {
    name: 'a MAC filter receives like the primary MAC',
    hw: 'every MAC of the VF is a RAR entry pointing at its pool',
    vf: { macFilters: ['02:00:00:00:aa:01'] },
    frame: { dst: '02:00:00:00:aa:01' },
    delivered: [],
  },
  {
    name: 'broadcast delivered with allowBroadcast',
    hw: 'VMOLR.BAM accepts broadcast per pool',
    vf: { allowBroadcast: true },
    frame: { dst: BCAST },
    delivered: [],
    counters: { rxBroadcast: 1, rxMulticast: 0 },
  },
  {
    name: 'broadcast refused without allowBroadcast',
    hw: 'VMOLR.BAM off',
    vf: { allowBroadcast: false },
    frame: { dst: BCAST },
    delivered: null,
    counters: { rxBroadcast: 0 },
  },
  {
    name: 'multicast of a group nobody joined is not delivered',
    hw: MTA,
    vf: { allowMulticast: true },
    frame: { dst: MCAST },
    delivered: null,
  },
  {
    name: 'multicast of a group VF 0 joined is delivered',
    hw: MTA,
    vf: { allowMulticast: true },
    setup: (r) => join(r.nic, 0, [MCAST]),
    frame: { dst: MCAST },
    delivered: [],
    counters: { rxMulticast: 1, rxBroadcast: 0 },
  },
  {
    name: 'multicast of a group only VF 1 joined reaches VF 0 too (one table per PF)',
    hw: MTA,
    vf: { allowMulticast: true },
    setup: (r) => join(r.nic, 1, [MCAST]),
    frame: { dst: MCAST },
    delivered: [],
  },
  {
    name: 'a group that shares the joined group’s hash bit passes too (imperfect filter)',
    hw: 'the MTA hashes destination bits [47:36]: 01:00:5e:7f:00:fb hits the bit of …:00:fb',
    vf: { allowMulticast: true },
    setup: (r) => join(r.nic, 1, [MCAST]),
    frame: { dst: '01:00:5e:7f:00:fb' },
    delivered: [],
  },
  {
    name: 'multicast refused without allowMulticast, even for a joined group',
    hw: 'VMOLR.ROMPE off',
    vf: { allowMulticast: false },
    setup: (r) => join(r.nic, 1, [MCAST]),
    frame: { dst: MCAST },
    delivered: null,
  },
  {
    name: 'an all-multicast guest gets a group nobody joined',
    hw: 'VMOLR.MPME: multicast promiscuous per pool',
    vf: { allowMulticast: false, allmulti: true },
    frame: { dst: MCAST },
    delivered: [],
  },
  {
    name: 'unknown unicast refused by default',
    hw: 'VMOLR.ROPE off: no unicast beyond the pool’s own MACs',
    vf: { allowUnknownUnicast: false },
    frame: { dst: UNKNOWN },
    delivered: null,
  },
  {
    name: 'unknown unicast delivered with allowUnknownUnicast',
    hw: 'unicast promiscuous per pool (X540/X550 VMOLR.UPE)',
    vf: { allowUnknownUnicast: true },
    frame: { dst: UNKNOWN },
    delivered: [],
  },
  {
    name: 'unknown unicast delivered to a promiscuous guest',
    hw: 'unicast promiscuous granted through the mailbox (ixgbe IXGBEVF_XCAST_MODE_PROMISC)',
    vf: { promisc: true },
    frame: { dst: UNKNOWN },
    delivered: [],
  },
  {
    name: 'unknown unicast in another VLAN does not reach an accepting VF',
    hw: VLVF,
    vf: { ...PORT100, allowUnknownUnicast: true },
    frame: { dst: UNKNOWN, tags: [Q(200)] },
    delivered: null,
  },
  {
    name: 'broadcast in another VLAN is not flooded to a port VLAN',
    hw: VLVF,
    vf: PORT100,
    frame: { dst: BCAST, tags: [Q(200)] },
    delivered: null,
  },
  {
    name: 'MTU + 18 untagged is delivered',
    hw: RLPML,
    vf: { mtu: 1500 },
    frame: { size: 1518 },
    delivered: [],
  },
  {
    name: 'MTU + 19 is an rx length error',
    hw: RLPML,
    vf: { mtu: 1500 },
    frame: { size: 1519 },
    delivered: null,
    counters: { rxErrors: 1, rxPackets: 0 },
  },
  {
    name: 'the limit counts the tag before the strip: 1518 tagged is delivered',
    hw: RLPML,
    vf: { ...PORT100, mtu: 1500 },
    frame: { size: 1518, tags: [Q(100)] },
    delivered: [],
    lenDelta: -4,
  },
  {
    name: 'the limit counts the tag before the strip: 1519 tagged is an error',
    hw: RLPML,
    vf: { ...PORT100, mtu: 1500 },
    frame: { size: 1519, tags: [Q(100)] },
    delivered: null,
    counters: { rxErrors: 1 },
  },
  {
    name: 'small MTU drops a normal frame',
    hw: RLPML,
    vf: { mtu: 576 },
    frame: { size: 1000 },
    delivered: null,
    counters: { rxErrors: 1 },
  },
  {
    name: 'link disabled drops everything',
    hw: 'a VF whose link is forced down (IFLA_VF_LINK_STATE disable) receives nothing',
    vf: { linkState: 'disable' },
    frame: {},
    delivered: null,
    counters: { rxDropped: 1, rxPackets: 0 },
  },
];

for (const c of CASES) {
  test(`rx: ${c.name}`, () => {
    const r = rig(2);
    const { nic } = r;
    // A jumbo uplink, so the VF's own MTU is what a case tests.
    nic.pf(PF).mtu = 9216;
    program(nic, 0, c.vf);
    c.setup?.(r);
    const cap = nic.capture(PF, 0);
    const f = frame(c.frame);
    const taken = nic.sendFromWire(PF, f);
    if (c.delivered === null) {
      assert.equal(cap.frames.length, 0, `nothing delivered: ${c.hw}`);
    } else {
      assert.equal(cap.frames.length, 1, `one frame delivered: ${c.hw}`);
      const got = cap.frames[0].data;
      assert.deepEqual(tagsOf(got), c.delivered, `tags on delivery: ${c.hw}`);
      assert.equal(got.length, f.length + (c.lenDelta ?? 0), 'length on delivery');
      assert.equal(taken, true);
      assertCounters(
        counters(nic, 0),
        { rxPackets: 1, rxBytes: got.length },
        'rx counters of the VF',
      );
    }
    if (c.counters) assertCounters(counters(nic, 0), c.counters, `named counters: ${c.hw}`);
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

test('rx: the uplink takes MTU + 22 (two tags, igb IGB_ETH_PKT_HDR_PAD), not one byte more', () => {
  const { nic } = rig(2);
  program(nic, 0, { vlans: [10], vlanProto: '802.1ad' });
  // QinQ at the full PF MTU: S-tag and C-tag around a 1500-byte payload.
  const qinq = frame({ size: 1522, tags: [AD(10), Q(100)] });
  assert.equal(nic.sendFromWire(PF, qinq), true, 'past the uplink, the VF’s filter took it');
  assertCounters(counters(nic, 'pf'), { rxErrors: 0 }, 'not an uplink error');
  assert.equal(nic.sendFromWire(PF, frame({ size: 1523 })), false);
  assertCounters(counters(nic, 'pf'), { rxErrors: 1 }, 'one byte more is');
  assertCounters(counters(nic, 0), { rxErrors: 1 }, 'the QinQ frame hit the VF’s own M + 18');
});

test('rx: a frame no port takes is counted as dropped on the PF', () => {
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
