import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyGuestState, VfPolicy } from '../../../src/model/index.js';
import { vfSettings } from '../../../src/policy/desired.js';
import { mac, mainInput, PF0, PF1, problems, vf, vfFile } from '../fixtures.js';

const A = '02:00:00:00:aa:01';
const B = '02:00:00:00:bb:01';
const lines = (p: ReturnType<typeof problems>) => p.map((x) => `${x.field}: ${x.message}`);

describe('validate: HA pairs (haPeer)', () => {
  it('accepts two VFs on two PFs that name each other and share one MAC policy', () => {
    const m = [mac(), mac()];
    assert.deepEqual(
      problems([
        vf('fw-a', PF0, 0, { macs: m, vlans: [100], haPeer: 'fw-b' }),
        vf('fw-b', PF1, 3, { macs: m, vlans: [100], haPeer: 'fw-a' }),
      ]),
      [],
    );
  });

  it('refuses a peer that is missing, itself, or does not name it back', () => {
    assert.deepEqual(
      lines(
        problems([
          vf('a', PF0, 0, { haPeer: 'nope' }),
          vf('b', PF0, 1, { haPeer: 'b' }),
          vf('c', PF0, 2, { haPeer: 'd' }),
          vf('d', PF1, 0, { haPeer: 'a' }),
        ]),
      ),
      [
        'haPeer: vf 0 (a) on sim:nic0/0: haPeer nope is no VF policy',
        'haPeer: vf 1 (b) on sim:nic0/0: haPeer names the VF itself',
        'haPeer: vf 2 (c) on sim:nic0/0: its peer vf 0 (d) on sim:nic0/1 has haPeer a, not c',
        'haPeer: vf 0 (d) on sim:nic0/1: its peer vf 0 (a) on sim:nic0/0 has haPeer nope, not d',
      ],
    );
  });

  it('names every field the two halves disagree on, and a pair on one PF, once', () => {
    const p = problems([
      vf('a', PF0, 0, { macs: [A], vlans: [10], macAntiSpoof: false, haPeer: 'b' }),
      vf('b', PF0, 1, { macs: [B], vlans: [20], haPeer: 'a' }),
    ]);
    assert.deepEqual(lines(p), [
      'pf: vf 1 (b) on sim:nic0/0: its HA peer vf 0 (a) on sim:nic0/0 is on the same PF: one link failure takes both',
      `macs: vf 1 (b) on sim:nic0/0: macs ["${B}"] differs from ["${A}"] of its HA peer vf 0 (a) on sim:nic0/0; the guest's failover would be refused by the NIC`,
      "vlans: vf 1 (b) on sim:nic0/0: vlans [20] differs from [10] of its HA peer vf 0 (a) on sim:nic0/0; the guest's failover would be refused by the NIC",
      "macAntiSpoof: vf 1 (b) on sim:nic0/0: macAntiSpoof true differs from false of its HA peer vf 0 (a) on sim:nic0/0; the guest's failover would be refused by the NIC",
    ]);
    assert.equal(p[2].file, vfFile('b'));
    assert.equal(p[2].allowed, '[10], as its HA peer a has');
    assert.equal(p[2].fix, 'give b and a the same vlans');
  });
});

describe('validate: guarded trust', () => {
  it('needs an allow-list and no guest MACs of its own', () => {
    assert.deepEqual(lines(problems([vf('g', PF0, 0, { trust: 'guarded', guestMacs: 2 })])), [
      'macs: vf 0 (g) on sim:nic0/0: trust "guarded" has no MACs to guard with',
      'guestMacs: vf 0 (g) on sim:nic0/0: trust "guarded" allows only the MACs in macs, one at a time; guestMacs would let the guest pick others',
    ]);
  });

  it('needs one MAC filter however many MACs it lists (vSRX RETH on a 1-filter NIC)', () => {
    const macs = [mac(), mac()];
    const oneFilter = { macsPerVf: 1 };
    assert.deepEqual(
      problems([vf('fw', PF0, 0, { macs, trust: 'guarded' })], mainInput(), oneFilter),
      [],
    );
    assert.deepEqual(lines(problems([vf('fw', PF0, 0, { macs })], mainInput(), oneFilter)), [
      'macs: vf 0 (fw) on sim:nic0/0: 2 MACs + guestMacs 0 = 2 exceed the 1 MAC filters driver sim offers per VF',
    ]);
  });

  it('watch mode (the NIC trusts the VF, nicvisor reverts) only with trust "guarded"', () => {
    const macs = [mac(), mac()];
    assert.deepEqual(
      problems([vf('fw', PF0, 0, { macs, trust: 'guarded', guardMode: 'watch' })]),
      [],
    );
    assert.deepEqual(lines(problems([vf('fw', PF0, 0, { macs, guardMode: 'watch' })])), [
      'guardMode: vf 0 (fw) on sim:nic0/0: guardMode "watch" only applies to trust "guarded" (trust is false)',
    ]);
  });

  it('turns the NIC’s trust on and the driver’s MAC guard on only in watch mode', () => {
    const macs = [mac(), mac()];
    const of = (extra: object) => {
      const p = VfPolicy.parse({ name: 'fw', pf: PF0, vf: 0, macs, ...extra });
      const s = vfSettings(p, emptyGuestState(), undefined, []);
      return [s.trust, s.macGuard];
    };
    assert.deepEqual(of({ trust: 'guarded' }), [false, false]);
    assert.deepEqual(of({ trust: 'guarded', guardMode: 'watch' }), [true, true]);
    assert.deepEqual(of({ trust: true }), [true, false]);
  });
});
