import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameSpec } from '../../../src/drivers/sim/build.js';
import type { TxVerdict } from '../../../src/drivers/sim/datapath.js';
import type { VfCounters, VfSettings } from '../../../src/model/index.js';
import { assertCounters, counters, frame, mac, PF, program, rig, tagsOf, WIRE_MAC } from './kit.js';

/** VF 0 → wire: VF 0's settings, what its guest sends, and what must come out. */
interface TxCase {
  name: string;
  /** The hardware behaviour the case models. */
  hw: string;
  vf: Partial<VfSettings>;
  frame: Partial<FrameSpec>;
  verdict: TxVerdict;
  /** Tags on the wire (outer first) when sent. */
  wire?: string[];
  counters?: Partial<VfCounters>;
}

const Q = (vid: number, pcp = 0) => ({ proto: '802.1Q' as const, vid, pcp });
const AD = (vid: number) => ({ proto: '802.1ad' as const, vid });
const SPOOF = { macAntiSpoof: true, vlanAntiSpoof: true };
const OWN = { src: mac(0), dst: WIRE_MAC };
const MAC_AS = 'MAC anti-spoof drops a source MAC the pool does not own (82599 PFVFSPOOF MAC bits)';
const VLAN_AS =
  'VLAN anti-spoof drops a tagged frame whose VID is not in the pool’s VLAN filter (82599 PFVFSPOOF VLAN bits); untagged and priority-tagged frames pass';
const INSERT = 'a port VLAN is inserted on transmit with its PCP (82599 VMVIR, 82576 VMVIR)';
const DEPART =
  'departure: a port-VLAN guest’s own tag counts as spoofed (a real 82576 adds the port tag outside it); it blocks double-tag VLAN hopping';
const LEN = 'the frame may be MTU + 18 long (header, one tag), as on receive';

const CASES: TxCase[] = [
  {
    name: 'own MAC passes MAC anti-spoof',
    hw: MAC_AS,
    vf: SPOOF,
    frame: OWN,
    verdict: 'sent',
    wire: [],
  },
  {
    name: 'spoofed source MAC is dropped and counted',
    hw: MAC_AS,
    vf: SPOOF,
    frame: { src: '02:66:66:66:66:66', dst: WIRE_MAC },
    verdict: 'spoofed',
    counters: { spoofed: 1, txPackets: 0 },
  },
  {
    name: 'a MAC filter may be used as source',
    hw: MAC_AS,
    vf: { ...SPOOF, macFilters: ['02:00:00:00:aa:01'] },
    frame: { src: '02:00:00:00:aa:01', dst: WIRE_MAC },
    verdict: 'sent',
    wire: [],
  },
  {
    name: 'anti-spoof off lets any source out',
    hw: 'spoof checking is per VF (IFLA_VF_SPOOFCHK)',
    vf: { macAntiSpoof: false },
    frame: { src: '02:66:66:66:66:66', dst: WIRE_MAC },
    verdict: 'sent',
    wire: [],
  },
  {
    name: 'port VLAN: 802.1Q tag inserted with vlanQoS as PCP',
    hw: INSERT,
    vf: { ...SPOOF, vlans: [100], vlanQoS: 5 },
    frame: OWN,
    verdict: 'sent',
    wire: ['8100/100/5'],
  },
  {
    name: 'port VLAN 802.1ad: S-tag inserted',
    hw: INSERT,
    vf: { ...SPOOF, vlans: [100], vlanProto: '802.1ad' },
    frame: OWN,
    verdict: 'sent',
    wire: ['88a8/100/0'],
  },
  {
    name: 'QinQ: S-tag inserted outside the guest C-tag',
    hw: 'QinQ: the guest’s C-tag is payload for an 802.1ad port VLAN',
    vf: { ...SPOOF, vlans: [100], vlanProto: '802.1ad' },
    frame: { ...OWN, tags: [Q(200)] },
    verdict: 'sent',
    wire: ['88a8/100/0', '8100/200/0'],
  },
  {
    name: 'port VLAN: a guest tag of the same protocol is VLAN spoofing',
    hw: DEPART,
    vf: { ...SPOOF, vlans: [100] },
    frame: { ...OWN, tags: [Q(100)] },
    verdict: 'spoofed',
    counters: { spoofed: 1 },
  },
  {
    name: 'port VLAN: a guest priority tag is VLAN spoofing too',
    hw: DEPART,
    vf: { ...SPOOF, vlans: [100] },
    frame: { ...OWN, tags: [Q(0, 6)] },
    verdict: 'spoofed',
  },
  {
    name: 'port VLAN without VLAN anti-spoof: the port tag goes outside the guest’s',
    hw: 'the 82576 inserts the port VLAN in front of whatever the guest sent',
    vf: { macAntiSpoof: true, vlanAntiSpoof: false, vlans: [100] },
    frame: { ...OWN, tags: [Q(300)] },
    verdict: 'sent',
    wire: ['8100/100/0', '8100/300/0'],
  },
  {
    name: 'trunk: a member tag passes unchanged',
    hw: VLAN_AS,
    vf: { ...SPOOF, vlans: [100, 200], stripOuterTag: false },
    frame: { ...OWN, tags: [Q(200, 2)] },
    verdict: 'sent',
    wire: ['8100/200/2'],
  },
  {
    name: 'trunk: a VLAN outside the list is spoofing',
    hw: VLAN_AS,
    vf: { ...SPOOF, vlans: [100, 200], stripOuterTag: false },
    frame: { ...OWN, tags: [Q(300)] },
    verdict: 'spoofed',
  },
  {
    name: 'trunk: untagged passes',
    hw: VLAN_AS,
    vf: { ...SPOOF, vlans: [100, 200], stripOuterTag: false },
    frame: OWN,
    verdict: 'sent',
    wire: [],
  },
  {
    name: 'trunk without VLAN anti-spoof passes any tag',
    hw: 'spoof checking off',
    vf: { macAntiSpoof: true, vlanAntiSpoof: false, vlans: [100, 200], stripOuterTag: false },
    frame: { ...OWN, tags: [Q(300)] },
    verdict: 'sent',
    wire: ['8100/300/0'],
  },
  {
    name: '802.1ad trunk: the S-tag must be a member',
    hw: VLAN_AS,
    vf: { ...SPOOF, vlans: [10, 20], stripOuterTag: false, vlanProto: '802.1ad' },
    frame: { ...OWN, tags: [AD(30), Q(5)] },
    verdict: 'spoofed',
  },
  {
    name: 'a VF without VLANs may not inject into VLAN 100 (anti-spoof applies to every VF)',
    hw: VLAN_AS,
    vf: SPOOF,
    frame: { ...OWN, tags: [Q(100)] },
    verdict: 'spoofed',
    counters: { spoofed: 1 },
  },
  {
    name: 'a VF without VLANs may send priority-tagged frames',
    hw: VLAN_AS,
    vf: SPOOF,
    frame: { ...OWN, tags: [Q(0, 4)] },
    verdict: 'sent',
    wire: ['8100/0/4'],
  },
  {
    name: 'untagged VF: a tagged frame is spoofing',
    hw: VLAN_AS,
    vf: { ...SPOOF, untagged: true },
    frame: { ...OWN, tags: [Q(100)] },
    verdict: 'spoofed',
  },
  {
    name: 'MTU + 18 is sent',
    hw: LEN,
    vf: { mtu: 1500 },
    frame: { ...OWN, size: 1518 },
    verdict: 'sent',
    wire: [],
  },
  {
    name: 'MTU + 19 is a tx error',
    hw: LEN,
    vf: { mtu: 1500 },
    frame: { ...OWN, size: 1519 },
    verdict: 'too-big',
    counters: { txErrors: 1, txPackets: 0 },
  },
  {
    name: 'link disabled drops what the guest sends',
    hw: 'a VF whose link is forced down (IFLA_VF_LINK_STATE disable) sends nothing',
    vf: { linkState: 'disable' },
    frame: OWN,
    verdict: 'link-down',
    counters: { txDropped: 1, txPackets: 0 },
  },
];

for (const c of CASES) {
  test(`tx: ${c.name}`, () => {
    const { nic } = rig(2);
    program(nic, 0, c.vf);
    const wire = nic.capture(PF, 'wire');
    const f = frame(c.frame);
    assert.equal(nic.sendFromVf(PF, 0, f), c.verdict, c.hw);
    if (c.wire) {
      assert.equal(wire.frames.length, 1, 'one frame on the wire');
      assert.deepEqual(tagsOf(wire.frames[0].data), c.wire, c.hw);
      assertCounters(counters(nic, 0), { txPackets: 1, txBytes: f.length }, 'VF tx');
      assertCounters(
        counters(nic, 'pf'),
        { txPackets: 1, txBytes: wire.frames[0].data.length },
        'PF tx',
      );
    } else {
      assert.equal(wire.frames.length, 0, 'nothing on the wire');
    }
    if (c.counters) assertCounters(counters(nic, 0), c.counters, 'named counters');
  });
}

test('tx: a runt frame is a tx error', () => {
  const { nic } = rig(1);
  assert.equal(nic.sendFromVf(PF, 0, Buffer.alloc(13)), 'malformed');
  assert.equal(counters(nic, 0).txErrors, 1);
});

test('tx: the inserted tag does not change the guest frame buffer', () => {
  const { nic } = rig(1);
  program(nic, 0, { vlans: [7] });
  const f = frame(OWN);
  const copy = Buffer.from(f);
  nic.sendFromVf(PF, 0, f);
  assert.deepEqual(f, copy);
});

test('tx: the port-VLAN tag is written out before any reader sees the frame', () => {
  const { nic } = rig(3);
  program(nic, 0, { vlans: [100], vlanQoS: 5 });
  program(nic, 1, { vlans: [100, 200], stripOuterTag: false });
  nic.pf(PF).setMirror(0, { targetVf: 2, direction: 'out' });
  const seen: string[][] = [];
  const off = nic.onWire(PF, (buf, len) => seen.push(tagsOf(buf.subarray(0, len))));
  const peer = nic.capture(PF, 1);
  const tap = nic.capture(PF, 2);
  nic.sendFromVf(PF, 0, frame({ src: mac(0), dst: WIRE_MAC }));
  nic.sendFromVf(PF, 0, frame({ src: mac(0), dst: mac(1) }));
  off();
  assert.deepEqual(seen, [['8100/100/5']], 'the wire listener');
  assert.deepEqual(tagsOf(peer.frames[0].data), ['8100/100/5'], 'the trunk that keeps tags');
  assert.deepEqual(
    tap.frames.map((f) => tagsOf(f.data)),
    [['8100/100/5'], ['8100/100/5']],
    'the mirror of what VF 0 sent',
  );
  assertCounters(counters(nic, 'pf'), { txPackets: 1, txBytes: 68 }, 'the wire counts the tag');
});
