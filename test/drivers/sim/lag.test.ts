import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriverEvent } from '../../../src/drivers/driver.js';
import { buildFrame } from '../../../src/drivers/sim/build.js';
import { ManualClock } from '../../../src/drivers/sim/clock.js';
import { FrameView, parseFrame } from '../../../src/drivers/sim/frame.js';
import { xmitHash } from '../../../src/drivers/sim/lag-hash.js';
import { createNic, type SimNic } from '../../../src/drivers/sim/nic.js';
import type { LagConfig, LagMode, XmitHashPolicy } from '../../../src/model/index.js';

const P0 = 'sim:nic0/0';
const P1 = 'sim:nic0/1';
const VF_MAC = '02:00:00:00:00:10';
const PEER_VF_MAC = '02:00:00:00:01:10';
const GW = '02:ee:00:00:00:01';
const MS = 1e6;

/** An IPv4/UDP payload (header + ports + a little data): what the hash reads. */
function udp(src: number, dst: number, sport: number, dport: number, frag = 0): Buffer {
  const b = Buffer.alloc(46);
  b[0] = 0x45;
  b.writeUInt16BE(46, 2);
  b.writeUInt16BE(frag, 6);
  b[8] = 64;
  b[9] = 17;
  b.writeUInt32BE(src, 12);
  b.writeUInt32BE(dst, 16);
  b.writeUInt16BE(sport, 20);
  b.writeUInt16BE(dport, 22);
  return b;
}

const flow = (i: number) =>
  buildFrame({ dst: GW, src: VF_MAC, payload: udp(0x0a000001, 0x0a000100, 10000 + i, 53) });

function config(mode: LagMode, extra: Partial<LagConfig> = {}): LagConfig {
  return {
    name: 'bond0',
    members: [P0, P1],
    mode,
    xmitHashPolicy: 'layer3+4',
    miimon: 100,
    lacpRate: 'slow',
    primary: null,
    vfLag: true,
    ...extra,
  };
}

interface Rig {
  nic: SimNic;
  clock: ManualClock;
  events: string[];
  /** Frames seen leaving on each member's wire. */
  wire: Record<string, number>;
}

function rig(c: LagConfig): Rig {
  const clock = new ManualClock();
  const nic = createNic([{ name: 'nic0', ports: 2, totalVfs: 8, linkSpeedMbps: 25000 }], clock);
  nic.pf(P0).resize(2);
  nic.pf(P1).resize(2);
  nic.pf(P0).setVfField(0, 'mac', VF_MAC, true);
  nic.pf(P1).setVfField(0, 'mac', PEER_VF_MAC, true);
  const events: string[] = [];
  nic.on((e: DriverEvent) => {
    if (e.type === 'lag') events.push(e.reason);
  });
  nic.setLag('bond0', c);
  const wire: Record<string, number> = { [P0]: 0, [P1]: 0 };
  for (const id of [P0, P1]) nic.onWire(id, () => wire[id]++);
  return { nic, clock, events, wire };
}

/** Send `n` flows from VF 0 of P0, one frame per flow, 1 ms apart; returns verdicts. */
function sendFlows(r: Rig, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(r.nic.sendFromVf(P0, 0, flow(i)));
    r.clock.advance(MS);
  }
  return out;
}

function delta(r: Rig, fn: () => void): Record<string, number> {
  const before = { ...r.wire };
  fn();
  return { [P0]: r.wire[P0] - before[P0], [P1]: r.wire[P1] - before[P1] };
}

describe('sim LAG: the VF-LAG verification (traffic on the members, fail one, restore)', () => {
  for (const mode of ['balance-xor', '802.3ad'] as const) {
    it(`${mode}: flows spread over both members, move on failure, rebalance on restore`, () => {
      const r = rig(config(mode));
      const spread = delta(r, () => sendFlows(r, 64));
      assert.ok(
        spread[P0] > 8 && spread[P1] > 8,
        `both members carry flows: ${JSON.stringify(spread)}`,
      );
      assert.equal(spread[P0] + spread[P1], 64);

      r.clock.set(1000 * MS + 30 * MS); // 30 ms after a miimon tick
      r.nic.setWireLink(P0, false);
      const during = delta(r, () => sendFlows(r, 200));
      // Flows of P0 are lost until the next tick (70 ms away), then everything is on P1.
      const st = r.nic.observeLag(P0)?.status;
      assert.ok(st);
      assert.equal(during[P0], 0);
      const lost = st.lostFrames ?? -1;
      assert.equal(lost + during[P1], 200, 'every frame is either on P1 or lost in the window');
      assert.ok(lost > 0 && lost <= 70, `lost ${lost}, at most one miimon of frames`);
      assert.equal(st.failovers, 1);
      assert.equal(st.members[0].linkUp, false);
      assert.equal(st.members[0].linkFailures, 1);
      assert.equal(st.lastFailoverMs, 70, 'link down → first frame on P1 after the bond noticed');
      const after = delta(r, () => sendFlows(r, 64));
      assert.deepEqual(after, { [P0]: 0, [P1]: 64 }, 'all traffic moved to the other member');

      r.nic.setWireLink(P0, true);
      r.clock.advance(100 * MS);
      const back = delta(r, () => sendFlows(r, 64));
      assert.deepEqual(back, spread, 'the same flows go back to the same members');
      assert.deepEqual(r.events, [
        `member ${P0} link down: traffic moves to ${P1}`,
        `failover done: first frame on ${P1} 70.000 ms after ${P0} went down`,
        `member ${P0} link up: traffic spreads over both members again`,
      ]);
    });
  }

  it('active-backup: one member carries everything, the other takes over, and stays', () => {
    const r = rig(config('active-backup', { xmitHashPolicy: 'layer2' }));
    assert.deepEqual(
      delta(r, () => sendFlows(r, 20)),
      { [P0]: 20, [P1]: 0 },
    );
    // A frame arriving on the backup member is dropped, as the bond drops an inactive slave's.
    assert.equal(r.nic.sendFromWire(P1, buildFrame({ dst: VF_MAC, src: GW })), false);
    assert.equal(r.nic.sendFromWire(P0, buildFrame({ dst: VF_MAC, src: GW })), true);
    r.nic.setWireLink(P0, false);
    r.clock.advance(100 * MS);
    assert.deepEqual(
      delta(r, () => sendFlows(r, 20)),
      { [P0]: 0, [P1]: 20 },
    );
    assert.equal(r.nic.sendFromWire(P1, buildFrame({ dst: VF_MAC, src: GW })), true);
    r.nic.setWireLink(P0, true);
    r.clock.advance(100 * MS);
    assert.deepEqual(
      delta(r, () => sendFlows(r, 5)),
      { [P0]: 0, [P1]: 5 },
      'no primary: the bond stays on the member that took over',
    );
    const st = r.nic.observeLag(P1)?.status;
    assert.deepEqual(
      st?.members.map((m) => [m.pf, m.active, m.linkUp]),
      [
        [P0, false, true],
        [P1, true, true],
      ],
    );
  });

  it('active-backup with a primary goes back to it when its link returns', () => {
    const r = rig(config('active-backup', { primary: P0 }));
    r.nic.setWireLink(P0, false);
    r.clock.advance(100 * MS);
    assert.deepEqual(
      delta(r, () => sendFlows(r, 3)),
      { [P0]: 0, [P1]: 3 },
    );
    r.nic.setWireLink(P0, true);
    r.clock.advance(100 * MS);
    assert.deepEqual(
      delta(r, () => sendFlows(r, 3)),
      { [P0]: 3, [P1]: 0 },
    );
  });

  it('a VF-LAG VF receives from both ports and its link is up while either cable is', () => {
    const r = rig(config('balance-xor'));
    const got = r.nic.capture(P0, 0);
    assert.equal(r.nic.sendFromWire(P1, buildFrame({ dst: VF_MAC, src: GW })), true);
    assert.equal(r.nic.sendFromWire(P0, buildFrame({ dst: VF_MAC, src: GW })), true);
    assert.equal(got.frames.length, 2);
    // The peer PF's VF is reached from member 0 as well.
    const peer = r.nic.capture(P1, 0);
    assert.equal(r.nic.sendFromWire(P0, buildFrame({ dst: PEER_VF_MAC, src: GW })), true);
    assert.equal(peer.frames.length, 1);
    r.nic.setWireLink(P0, false);
    assert.equal(r.nic.pf(P0).vf(0).linkUp, true);
    r.nic.setWireLink(P1, false);
    assert.equal(r.nic.pf(P0).vf(0).linkUp, false);
    assert.equal(r.nic.sendFromVf(P0, 0, flow(1)), 'link-down');
  });

  it('without vfLag only the host interface uses the bond; VFs keep their port', () => {
    const r = rig(config('active-backup', { vfLag: false }));
    r.nic.setWireLink(P0, false);
    r.clock.advance(100 * MS);
    assert.equal(r.nic.pf(P0).vf(0).linkUp, false, 'a single-port VF follows its own cable');
    const host = buildFrame({ dst: GW, src: '02:fe:00:00:00:00' });
    assert.deepEqual(
      delta(r, () => r.nic.sendFromHost(P0, host)),
      { [P0]: 0, [P1]: 1 },
    );
  });

  it('a PF reset dissolves the LAG (the kernel re-creates the netdev outside the bond)', () => {
    const r = rig(config('balance-xor'));
    r.nic.resetPf(P1);
    assert.equal(r.nic.observeLag(P0), undefined);
    assert.equal(r.nic.lags.size, 0);
    assert.deepEqual(r.events, ['PF reset (simulated): LAG dissolved']);
  });

  it('refuses a LAG the NIC cannot build, naming the member and the fix', () => {
    const r = rig(config('balance-xor'));
    assert.throws(
      () => r.nic.setLag('bond1', { ...config('balance-xor'), name: 'bond1' }),
      /LAG bond1: sim:nic0\/0 is already a member of LAG bond0; remove it there first/,
    );
    assert.throws(
      () => r.nic.setLag('bond0', { ...config('balance-xor'), members: [P0, P0] }),
      /member sim:nic0\/0 is listed twice/,
    );
  });
});

describe('sim LAG: the bonding driver’s transmit hash', () => {
  const view = (b: Buffer) => {
    const f = new FrameView();
    assert.ok(parseFrame(b, b.length, f));
    return f;
  };
  const hash = (p: XmitHashPolicy, b: Buffer) => xmitHash(p, b, b.length, view(b));

  it('layer2 is dst[5] ^ src[5] ^ ethertype (bond_eth_hash)', () => {
    const b = buildFrame({ dst: '02:00:00:00:00:a5', src: '02:00:00:00:00:0f', etherType: 0x0800 });
    assert.equal(hash('layer2', b), 0xa5 ^ 0x0f ^ 0x0800);
    assert.equal(hash('layer2', flow(1)), hash('layer2', flow(2)), 'one MAC pair, one member');
  });

  it('layer3+4 follows the ports, layer2+3 only the addresses', () => {
    const a = buildFrame({ dst: GW, src: VF_MAC, payload: udp(1, 2, 1000, 53) });
    const b = buildFrame({ dst: GW, src: VF_MAC, payload: udp(1, 2, 1002, 53) });
    assert.notEqual(hash('layer3+4', a), hash('layer3+4', b));
    assert.equal(hash('layer2+3', a), hash('layer2+3', b));
    // A fragment carries no ports the dissector trusts: only the addresses count.
    const f1 = buildFrame({ dst: GW, src: VF_MAC, payload: udp(1, 2, 1000, 53, 0x2000) });
    const f2 = buildFrame({ dst: GW, src: VF_MAC, payload: udp(1, 2, 1002, 53, 0x2000) });
    assert.equal(hash('layer3+4', f1), hash('layer3+4', f2));
  });

  it('a frame that is not IP falls back to the layer2 hash', () => {
    const arp = buildFrame({ dst: GW, src: VF_MAC, etherType: 0x0806 });
    assert.equal(hash('layer3+4', arp), hash('layer2', arp));
  });
});
