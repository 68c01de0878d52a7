import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MirrorDirection, VfSettings } from '../../src/model/index.js';
import {
  assertCounters,
  BCAST,
  counters,
  frame,
  mac,
  PF,
  program,
  rig,
  tagsOf,
  WIRE_MAC,
} from './kit.js';

/** VF 0 → VF 1 on the same PF, with and without the NIC's internal loopback (VEB). */
interface LoopCase {
  name: string;
  loopback: boolean;
  vf0?: Partial<VfSettings>;
  vf1?: Partial<VfSettings>;
  dst?: string;
  /** Frames VF 1 gets, frames the wire gets, and VF 1's tags on delivery. */
  toVf1: number;
  toWire: number;
  vf1Tags?: string[];
}

const CASES: LoopCase[] = [
  { name: 'loopback on: unicast switched inside the NIC', loopback: true, toVf1: 1, toWire: 0 },
  { name: 'loopback off: unicast goes to the wire', loopback: false, toVf1: 0, toWire: 1 },
  {
    name: 'loopback on, different VLANs: to the wire',
    loopback: true,
    vf0: { vlans: [100] },
    vf1: { vlans: [200] },
    toVf1: 0,
    toWire: 1,
  },
  {
    name: 'loopback on, same port VLAN: inserted then stripped',
    loopback: true,
    vf0: { vlans: [100] },
    vf1: { vlans: [100] },
    toVf1: 1,
    toWire: 0,
    vf1Tags: [],
  },
  {
    name: 'loopback on, port VLAN to trunk without strip: VF 1 sees the tag',
    loopback: true,
    vf0: { vlans: [100], vlanQoS: 3 },
    vf1: { vlans: [100, 200], stripOuterTag: false },
    toVf1: 1,
    toWire: 0,
    vf1Tags: ['8100/100/3'],
  },
  {
    name: 'loopback on: broadcast to local VFs and the wire',
    loopback: true,
    dst: BCAST,
    toVf1: 1,
    toWire: 1,
  },
  {
    name: 'loopback off: broadcast only to the wire',
    loopback: false,
    dst: BCAST,
    toVf1: 0,
    toWire: 1,
  },
  {
    name: 'loopback on: unknown unicast to the wire and to a VF accepting it',
    loopback: true,
    vf1: { allowUnknownUnicast: true },
    dst: '02:99:00:00:00:01',
    toVf1: 1,
    toWire: 1,
  },
];

for (const c of CASES) {
  test(`veb: ${c.name}`, () => {
    const { nic } = rig(2);
    nic.pf(PF).loopback = c.loopback;
    program(nic, 0, { macAntiSpoof: true, ...c.vf0 });
    program(nic, 1, c.vf1 ?? {});
    const v1 = nic.capture(PF, 1);
    const v0 = nic.capture(PF, 0);
    const wire = nic.capture(PF, 'wire');
    assert.equal(nic.sendFromVf(PF, 0, frame({ src: mac(0), dst: c.dst ?? mac(1) })), 'sent');
    assert.equal(v1.frames.length, c.toVf1, 'frames at VF 1');
    assert.equal(wire.frames.length, c.toWire, 'frames on the wire');
    assert.equal(v0.frames.length, 0, 'never back to the sender');
    if (c.vf1Tags) assert.deepEqual(tagsOf(v1.frames[0].data), c.vf1Tags);
  });
}

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
