import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burstBytes, bytesPerNs, classOf } from '../../../src/drivers/sim/qos.js';
import { counters, frame, mac, PF, program, type Rig, rig, WIRE_MAC } from './kit.js';

const FRAME = 1000;
const MS = 1_000_000;

/** Every `everyNs` each VF in `vfs` sends one 1000-byte frame, for `forNs`; frames sent per VF. */
function blast(r: Rig, vfs: number[], everyNs: number, forNs: number): number[] {
  const frames = vfs.map((vf) => frame({ src: mac(vf), dst: WIRE_MAC, size: FRAME }));
  const sent = vfs.map(() => 0);
  for (let t = 0; t < forNs; t += everyNs) {
    vfs.forEach((vf, i) => {
      if (r.nic.sendFromVf(PF, vf, frames[i]) === 'sent') sent[i]++;
    });
    r.clock.advance(everyNs);
  }
  return sent;
}

/** Frames a limiter of `mbps` lets through in `ns`, counting its initial burst. */
function expected(mbps: number, ns: number): number {
  return (bytesPerNs(mbps) * ns + burstBytes(mbps)) / FRAME;
}

function near(got: number, want: number, msg: string): void {
  assert.ok(Math.abs(got - want) <= Math.max(2, want * 0.01), `${msg}: got ${got}, want ~${want}`);
}

test('maxTxRate: the burst passes at once, then one bucket refill per millisecond', () => {
  const r = rig(1);
  program(r.nic, 0, { maxTxRate: 100 });
  const f = frame({ src: mac(0), dst: WIRE_MAC, size: FRAME });
  const burst = Math.floor(burstBytes(100) / FRAME);
  for (let i = 0; i < burst; i++) assert.equal(r.nic.sendFromVf(PF, 0, f), 'sent', `frame ${i}`);
  assert.equal(r.nic.sendFromVf(PF, 0, f), 'rate-limited');
  assert.equal(counters(r.nic, 0).txDropped, 1);
  r.clock.advance(MS);
  let more = 0;
  while (r.nic.sendFromVf(PF, 0, f) === 'sent') more++;
  assert.equal(more, Math.floor((bytesPerNs(100) * MS) / FRAME));
});

test('maxTxRate: 400 Mbps offered to a 100 Mbps limit for 100 ms', () => {
  const r = rig(1);
  program(r.nic, 0, { maxTxRate: 100 });
  const [sent] = blast(r, [0], 20_000, 100 * MS);
  near(sent, expected(100, 100 * MS), 'frames sent');
  assert.equal(counters(r.nic, 0).txPackets, sent);
  assert.equal(counters(r.nic, 0).txDropped, 5000 - sent);
});

test('maxTxRate 0 is unlimited', () => {
  const r = rig(1);
  const [sent] = blast(r, [0], 1_000, MS);
  assert.equal(sent, 1000);
});

test('classOf: PCP picks the class, PCPs past the last class go to it', () => {
  assert.deepEqual(
    [0, 1, 2, 7].map((p) => classOf(p, 3)),
    [0, 1, 2, 2],
  );
});

test('loopback traffic is not shaped by the uplink classes', () => {
  const r = rig(2, 1000);
  r.nic.pf(PF).setTrafficClasses(
    [1, 99],
    [
      { strictPriority: false, group: 0 },
      { strictPriority: true, group: 0 },
    ],
  );
  const f = frame({ src: mac(0), dst: mac(1), size: FRAME });
  for (let i = 0; i < 1000; i++) assert.equal(r.nic.sendFromVf(PF, 0, f), 'sent');
  assert.equal(counters(r.nic, 1).rxPackets, 1000);
});
