/**
 * What the daemon last observed: settings from any read, counters made monotonic across a
 * NIC that zeroes them, rates per read, and a VF the NIC no longer reports (numVfs lowered)
 * dropped from the counters and the history.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Observations } from '../../src/daemon/observations.js';
import { type ObservedPf, zeroCounters } from '../../src/model/index.js';

function pf(vfs: number[], rxPackets: number): ObservedPf {
  return {
    id: 'p0',
    counters: zeroCounters(),
    vfs: vfs.map((vf) => ({ vf, counters: { ...zeroCounters(), rxPackets } })),
  } as unknown as ObservedPf;
}

const samples = (o: Observations) => [...o.vfSamples()].map((s) => [s.vf, s.counters.rxPackets]);

test('a settings read is the last observation but moves no counter', () => {
  const o = new Observations(1000);
  o.record([pf([0], 5)]);
  assert.equal(o.vf('p0', 0)?.vf, 0);
  assert.equal(o.vfCounters('p0', 0), null, 'counters come from stats reads only');
  assert.equal(o.countersAt, null);
});

test('counters are monotonic across a NIC that zeroes them', () => {
  const o = new Observations(1000);
  o.record([pf([0], 10)], true);
  o.record([pf([0], 3)], true);
  assert.equal(o.vfCounters('p0', 0)?.rxPackets, 13);
  assert.deepEqual(samples(o), [[0, 13]]);
});

test('reads feed the history; VFs that vanish leave the counters and the history', async () => {
  const o = new Observations(1000);
  o.record([pf([0, 1], 0)], true);
  await new Promise((r) => setTimeout(r, 20));
  o.record([pf([0, 1], 10)], true);
  assert.deepEqual(samples(o), [
    [0, 10],
    [1, 10],
  ]);
  const w = o.history('p0', 1);
  assert.equal(w.t.length, 2);
  assert.ok((w.series.rxPps[1] ?? 0) > 0, 'a positive rate after the second read');
  o.record([pf([0], 12)], true);
  assert.deepEqual(samples(o), [[0, 12]]);
  assert.equal(o.vfCounters('p0', 1), null);
  assert.deepEqual(o.history('p0', 1).t, []);
  assert.deepEqual(o.history('nope', 0).t, []);
});

test('a read that began before the kept one keeps its counters, not its settings', () => {
  const o = new Observations(1000);
  const stale = o.begin(); // a stats read starts …
  o.record([pf([0, 1], 5)], false, o.begin()); // … an apply's read-back begins later, lands first
  o.record([pf([0], 7)], true, stale); // the stats read lands last
  assert.deepEqual(
    o.pf('p0')?.vfs.map((v) => v.vf),
    [0, 1],
    'the newer read-back stays the observation',
  );
  assert.equal(o.vfCounters('p0', 0)?.rxPackets, 7, 'its counters still count');
  o.record([pf([0], 9)], true);
  assert.deepEqual(
    o.pf('p0')?.vfs.map((v) => v.vf),
    [0],
    'a read begun later replaces it',
  );
});

test('a read of one VF updates that VF and the PF in place; the other VFs stay as last read', () => {
  const o = new Observations(1000);
  const whole = { ...pf([0, 1, 2], 1), mtu: 1500 } as ObservedPf;
  o.record([whole]);
  const before = o.begin(); // a read that began before the partial one, landing after it
  o.recordVfs([{ ...pf([1], 9), mtu: 9000 } as ObservedPf]);
  assert.equal(o.pf('p0')?.mtu, 9000);
  assert.deepEqual(
    o.pf('p0')?.vfs.map((v) => [v.vf, v.counters.rxPackets]),
    [
      [0, 1],
      [1, 9],
      [2, 1],
    ],
  );
  o.record([{ ...pf([0, 1, 2], 4), mtu: 1500 } as ObservedPf], false, before);
  assert.equal(o.pf('p0')?.mtu, 9000, 'the older whole read is not kept over the newer one');
  const fresh = new Observations(1000);
  fresh.recordVfs([pf([1], 9)]);
  assert.equal(fresh.pf('p0'), undefined, 'a PF never read whole is not shown with VFs missing');
});
