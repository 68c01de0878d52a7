import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameSpec } from '../../../src/drivers/sim/build.js';
import type { TxVerdict } from '../../../src/drivers/sim/datapath.js';
import type { HostConfig } from '../../../src/drivers/sim/host.js';
import type { MirrorDirection, VfSettings } from '../../../src/model/index.js';
import {
  arrivals,
  assertCounters,
  BCAST,
  counters,
  frame,
  HOST_MAC,
  join,
  MCAST,
  mac,
  PF,
  program,
  type Rig,
  rig,
  tagsOf,
  UNKNOWN,
  WIRE_MAC,
} from './kit.js';

/** One frame through the VEB of a PF with VFs 0 and 1 and the host: where does it arrive? */
interface VebCase {
  name: string;
  /** The hardware behaviour the case models. */
  hw: string;
  loopback?: boolean;
  vf0?: Partial<VfSettings>;
  vf1?: Partial<VfSettings>;
  host?: Partial<HostConfig>;
  setup?: (r: Rig) => void;
  from: 0 | 'host' | 'wire';
  frame: Partial<FrameSpec>;
  want: Record<string, string[]>;
  /** Verdict of a transmit (VF or host), or whether some port took a wire frame. */
  verdict: TxVerdict | boolean;
}

const Q = (vid: number, pcp = 0) => ({ proto: '802.1Q' as const, vid, pcp });
const U = ['untagged'];
const LOCAL =
  'a local destination is switched inside the NIC (82576 DTXSWC / 82599 PFDTXGSWC loopback)';
const NO_LEAK =
  'pools are chosen by MAC, then VLAN (82599 Rx pool selection): a frame for a local MAC never goes to the network, even when that pool’s VLAN filter refuses it';
const FLOOD =
  'broadcast replicates to every pool of its VLAN that accepts it (VMOLR.BAM), and to the network';
const MTA =
  'one MTA per PF: a group reaches the pools that accept multicast when it hits it (VMOLR.ROMPE)';
const FROM_VF0 = { src: mac(0) };
const FROM_HOST = { src: HOST_MAC };

const CASES: VebCase[] = [
  {
    name: 'loopback on: unicast switched inside the NIC',
    hw: LOCAL,
    from: 0,
    frame: { dst: mac(1) },
    want: { vf1: U },
    verdict: 'sent',
  },
  {
    name: 'loopback off: unicast goes to the wire',
    hw: 'without loopback every frame goes to the network (an external switch may hairpin it)',
    loopback: false,
    from: 0,
    frame: { dst: mac(1) },
    want: { wire: U },
    verdict: 'sent',
  },
  {
    name: 'port VLANs 100 and 200: dropped, never to the wire',
    hw: NO_LEAK,
    vf0: { vlans: [100] },
    vf1: { vlans: [200] },
    from: 0,
    frame: { dst: mac(1) },
    want: {},
    verdict: 'local-drop',
  },
  {
    name: 'untagged VF to a port-VLAN VF: dropped, never to the wire',
    hw: NO_LEAK,
    vf1: { vlans: [100] },
    from: 0,
    frame: { dst: mac(1) },
    want: {},
    verdict: 'local-drop',
  },
  {
    name: 'a frame to the sender’s own MAC is neither looped back nor sent out',
    hw: 'a packet is never switched back to its source pool, and a local MAC is not sent out',
    from: 0,
    frame: { dst: mac(0) },
    want: {},
    verdict: 'local-drop',
  },
  {
    name: 'same port VLAN: inserted then stripped',
    hw: LOCAL,
    vf0: { vlans: [100] },
    vf1: { vlans: [100] },
    from: 0,
    frame: { dst: mac(1) },
    want: { vf1: U },
    verdict: 'sent',
  },
  {
    name: 'port VLAN to a trunk without strip: VF 1 sees the tag and PCP',
    hw: LOCAL,
    vf0: { vlans: [100], vlanQoS: 3 },
    vf1: { vlans: [100, 200], stripOuterTag: false },
    from: 0,
    frame: { dst: mac(1) },
    want: { vf1: ['8100/100/3'] },
    verdict: 'sent',
  },
  {
    name: 'broadcast: every local port and the wire, never the sender',
    hw: FLOOD,
    from: 0,
    frame: { dst: BCAST },
    want: { vf1: U, host: U, wire: U },
    verdict: 'sent',
  },
  {
    name: 'loopback off: broadcast only to the wire',
    hw: 'without loopback every frame goes to the network',
    loopback: false,
    from: 0,
    frame: { dst: BCAST },
    want: { wire: U },
    verdict: 'sent',
  },
  {
    name: 'broadcast in port VLAN 100: its members and the wire, not the host without VLAN 100',
    hw: FLOOD,
    vf0: { vlans: [100] },
    vf1: { vlans: [100] },
    from: 0,
    frame: { dst: BCAST },
    want: { vf1: U, wire: ['8100/100/0'] },
    verdict: 'sent',
  },
  {
    name: 'broadcast in port VLAN 100 reaches the host through its VLAN device, tagged',
    hw: 'the PF pool’s VLAN filter holds the VIDs of its VLAN devices (igb_vlan_rx_add_vid)',
    vf0: { vlans: [100] },
    host: { vlans: [100] },
    from: 0,
    frame: { dst: BCAST },
    want: { host: ['8100/100/0'], wire: ['8100/100/0'] },
    verdict: 'sent',
  },
  {
    name: 'unknown unicast: to the wire and to a VF that accepts it',
    hw: 'a MAC no pool owns goes to the network and to unicast-promiscuous pools',
    vf1: { allowUnknownUnicast: true },
    from: 0,
    frame: { dst: UNKNOWN },
    want: { vf1: U, wire: U },
    verdict: 'sent',
  },
  {
    name: 'multicast nobody joined: to the wire only',
    hw: MTA,
    from: 0,
    frame: { dst: MCAST },
    want: { wire: U },
    verdict: 'sent',
  },
  {
    name: 'multicast VF 1 joined: to every port that accepts multicast, and the wire',
    hw: MTA,
    setup: (r) => join(r.nic, 1, [MCAST]),
    from: 0,
    frame: { dst: MCAST },
    want: { vf1: U, host: U, wire: U },
    verdict: 'sent',
  },
  {
    name: 'multicast the host joined: VF 1 without allowMulticast does not get it',
    hw: 'VMOLR.ROMPE off on that pool',
    vf1: { allowMulticast: false },
    setup: (r) => join(r.nic, 'host', [MCAST]),
    from: 0,
    frame: { dst: MCAST },
    want: { host: U, wire: U },
    verdict: 'sent',
  },
  {
    name: 'multicast nobody joined reaches an all-multicast VF',
    hw: 'VMOLR.MPME: multicast promiscuous per pool',
    vf1: { allmulti: true },
    from: 0,
    frame: { dst: MCAST },
    want: { vf1: U, wire: U },
    verdict: 'sent',
  },
  {
    name: 'VF to the host MAC: to the host only',
    hw: 'the PF is a pool of the VEB; its MAC is a local destination',
    from: 0,
    frame: { dst: HOST_MAC },
    want: { host: U },
    verdict: 'sent',
  },
  {
    name: 'port VLAN 100 VF to the host MAC, host without VLAN 100: dropped, not sent out',
    hw: NO_LEAK,
    vf0: { vlans: [100] },
    from: 0,
    frame: { dst: HOST_MAC },
    want: {},
    verdict: 'local-drop',
  },
  {
    name: 'port VLAN 100 VF to the host MAC, host with VLAN device 100: tagged at the host',
    hw: 'the host’s 802.1Q layer reads the tag (the PF pool keeps it)',
    vf0: { vlans: [100], vlanQoS: 2 },
    host: { vlans: [100] },
    from: 0,
    frame: { dst: HOST_MAC },
    want: { host: ['8100/100/2'] },
    verdict: 'sent',
  },
  {
    name: 'host to a VF MAC: switched inside',
    hw: LOCAL,
    from: 'host',
    frame: { ...FROM_HOST, dst: mac(1) },
    want: { vf1: U },
    verdict: 'sent',
  },
  {
    name: 'host VLAN device 100 to a port VLAN 100 VF: stripped at the VF',
    hw: LOCAL,
    vf1: { vlans: [100] },
    from: 'host',
    frame: { ...FROM_HOST, dst: mac(1), tags: [Q(100)] },
    want: { vf1: U },
    verdict: 'sent',
  },
  {
    name: 'host untagged to a port VLAN 100 VF: dropped, not sent out',
    hw: NO_LEAK,
    vf1: { vlans: [100] },
    from: 'host',
    frame: { ...FROM_HOST, dst: mac(1) },
    want: {},
    verdict: 'local-drop',
  },
  {
    name: 'host broadcast: every VF of its VLAN and the wire',
    hw: FLOOD,
    vf1: { vlans: [100] },
    from: 'host',
    frame: { ...FROM_HOST, dst: BCAST },
    want: { vf0: U, wire: U },
    verdict: 'sent',
  },
  {
    name: 'host with loopback off: a VF MAC goes to the wire',
    hw: 'without loopback every frame goes to the network',
    loopback: false,
    from: 'host',
    frame: { ...FROM_HOST, dst: mac(1) },
    want: { wire: U },
    verdict: 'sent',
  },
  {
    name: 'wire to the host MAC: to the host',
    hw: 'the PF’s own address (RAR[0] on igb) selects the PF pool',
    from: 'wire',
    frame: { dst: HOST_MAC },
    want: { host: U },
    verdict: true,
  },
  {
    name: 'wire to the host MAC in a VLAN the host has no device for: dropped',
    hw: 'the PF pool’s VLAN filter',
    from: 'wire',
    frame: { dst: HOST_MAC, tags: [Q(300)] },
    want: {},
    verdict: false,
  },
  {
    name: 'wire to a local MAC in the wrong VLAN: not flooded as unknown unicast',
    hw: NO_LEAK,
    vf0: { vlans: [100] },
    vf1: { allowUnknownUnicast: true, vlans: [200, 300] },
    from: 'wire',
    frame: { dst: mac(0), tags: [Q(200)] },
    want: {},
    verdict: false,
  },
  {
    name: 'wire broadcast: every port that accepts it, in its VLAN',
    hw: FLOOD,
    vf1: { vlans: [100] },
    from: 'wire',
    frame: { dst: BCAST },
    want: { vf0: U, host: U },
    verdict: true,
  },
  {
    name: 'wire multicast nobody joined: dropped',
    hw: MTA,
    from: 'wire',
    frame: { dst: MCAST },
    want: {},
    verdict: false,
  },
];

for (const c of CASES) {
  test(`veb: ${c.name}`, () => {
    const r = rig(2);
    const { nic } = r;
    nic.pf(PF).loopback = c.loopback ?? true;
    program(nic, 0, { macAntiSpoof: true, vlanAntiSpoof: true, ...c.vf0 });
    program(nic, 1, c.vf1 ?? {});
    if (c.host) nic.setHost(PF, c.host);
    c.setup?.(r);
    let verdict: TxVerdict | boolean = false;
    const got = arrivals(nic, () => {
      if (c.from === 'wire') verdict = nic.sendFromWire(PF, frame({ src: WIRE_MAC, ...c.frame }));
      else if (c.from === 'host') verdict = nic.sendFromHost(PF, frame(c.frame));
      else verdict = nic.sendFromVf(PF, 0, frame({ ...FROM_VF0, ...c.frame }));
    });
    assert.deepEqual(got, c.want, `arrivals: ${c.hw}`);
    assert.equal(verdict, c.verdict, 'verdict');
  });
}

test('veb: a local drop counts as the sender’s txDropped, not as sent', () => {
  const { nic } = rig(2);
  program(nic, 1, { vlans: [100] });
  nic.sendFromVf(PF, 0, frame({ src: mac(0), dst: mac(1) }));
  assertCounters(counters(nic, 0), { txPackets: 0, txDropped: 1 }, 'VF 0');
  assertCounters(counters(nic, 'pf'), { txPackets: 0 }, 'nothing on the wire');
});

test('veb: the host interface counts what it sends and receives', () => {
  const { nic } = rig(2);
  nic.sendFromHost(PF, frame({ src: HOST_MAC, dst: mac(1), size: 100 }));
  nic.sendFromVf(PF, 1, frame({ src: mac(1), dst: HOST_MAC, size: 80 }));
  assertCounters(
    counters(nic, 'host'),
    { txPackets: 1, txBytes: 100, rxPackets: 1, rxBytes: 80 },
    'host counters',
  );
});

test('veb: the host MTU is the PF MTU (MTU + 18 on receive)', () => {
  const { nic } = rig(1);
  nic.pf(PF).mtu = 9000;
  program(nic, 0, { mtu: 9000 });
  nic.pf(PF).mtu = 1500;
  nic.sendFromVf(PF, 0, frame({ src: mac(0), dst: HOST_MAC, size: 1519 }));
  assertCounters(counters(nic, 'host'), { rxErrors: 1, rxPackets: 0 }, 'host rx error');
  assert.equal(nic.sendFromHost(PF, frame({ src: HOST_MAC, size: 1519 })), 'too-big');
});

test('veb: the host interface refuses a bad MAC or VLAN device, naming both problems', () => {
  const { nic } = rig(1);
  assert.throws(
    () => nic.setHost(PF, { mac: '01:00:00:00:00:01', vlans: [5000] }),
    /host interface of sim:nic0\/0: mac "01:00:00:00:00:01" is not a unicast MAC.*; VLAN device 5000 is out of range 1-4094/,
  );
});

/** Mirror of VF 0 to VF 2, for each direction; VF 1 is VF 0's peer. */
interface MirrorCase {
  direction: MirrorDirection;
  /** Which of VF 0's traffic: a frame it receives from the wire, or one it sends. */
  traffic: 'rx' | 'tx' | 'spoofed' | 'filtered';
  copies: number;
}

const MIRROR_CASES: MirrorCase[] = [
  { direction: 'in', traffic: 'rx', copies: 1 },
  { direction: 'in', traffic: 'tx', copies: 0 },
  { direction: 'out', traffic: 'rx', copies: 0 },
  { direction: 'out', traffic: 'tx', copies: 1 },
  { direction: 'all', traffic: 'rx', copies: 1 },
  { direction: 'all', traffic: 'tx', copies: 1 },
  { direction: 'all', traffic: 'spoofed', copies: 0 },
  { direction: 'all', traffic: 'filtered', copies: 0 },
];

for (const c of MIRROR_CASES) {
  test(`mirror ${c.direction}: ${c.traffic} traffic gives ${c.copies} cop${c.copies === 1 ? 'y' : 'ies'}`, () => {
    const { nic } = rig(3);
    program(nic, 0, { macAntiSpoof: true, vlanAntiSpoof: true, vlans: [100] });
    program(nic, 2, { vlans: [999] });
    nic.pf(PF).setMirror(0, { targetVf: 2, direction: c.direction });
    const target = nic.capture(PF, 2);
    if (c.traffic === 'rx') nic.sendFromWire(PF, frame({ tags: [{ vid: 100 }] }));
    if (c.traffic === 'filtered') nic.sendFromWire(PF, frame({ tags: [{ vid: 101 }] }));
    if (c.traffic === 'tx') nic.sendFromVf(PF, 0, frame({ src: mac(0), dst: WIRE_MAC }));
    if (c.traffic === 'spoofed') nic.sendFromVf(PF, 0, frame({ src: WIRE_MAC, dst: mac(1) }));
    assert.equal(target.frames.length, c.copies, 'copies at the target');
    assert.ok(target.frames.every((f) => f.mirrored));
    assertCounters(counters(nic, 0), { mirrored: c.copies }, 'source mirrored counter');
    assertCounters(counters(nic, 2), { rxPackets: c.copies }, 'target rx counter');
    // Copies show the frame as the VF sees it (rx: stripped) or as it left (tx: tagged).
    if (c.copies === 1 && c.traffic === 'rx') assert.deepEqual(tagsOf(target.frames[0].data), []);
    if (c.copies === 1 && c.traffic === 'tx') {
      assert.deepEqual(tagsOf(target.frames[0].data), ['8100/100/0']);
    }
  });
}

test('mirror: a disabled target gets no copies and nothing is counted', () => {
  const { nic } = rig(3);
  program(nic, 2, { linkState: 'disable' });
  nic.pf(PF).setMirror(0, { targetVf: 2, direction: 'all' });
  nic.sendFromWire(PF, frame({}));
  assert.equal(counters(nic, 0).mirrored, 0);
});

test('mirror: the target must be another VF of the PF', () => {
  const { nic } = rig(3);
  assert.throws(() => nic.pf(PF).setMirror(0, { targetVf: 0, direction: 'in' }), /not another VF/);
  assert.throws(() => nic.pf(PF).setMirror(0, { targetVf: 7, direction: 'in' }), /0-2/);
});
