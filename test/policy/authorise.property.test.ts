import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type GuestRequest,
  MTU_MIN,
  normaliseMac,
  type VfPolicyInput,
  VLAN_MAX,
  VLAN_MIN,
} from '../../src/model/index.js';
import { authorise, readsPeers } from '../../src/policy/authorise.js';
import { heldMacs } from '../../src/policy/authorise-mac.js';
import { validate } from '../../src/policy/validate.js';
import { capsFor, MAIN_FILE, mainInput, PF0, sourced } from './fixtures.js';
import { World } from './world.js';

const POOL = Array.from(
  { length: 10 },
  (_, i) => `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
);
const ODD = ['02:00:00:00:00:0A', '01:00:5e:00:00:01', '00:00:00:00:00:00', 'bad'];

const macArb = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...POOL) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD) },
);
const vlanArb = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1, max: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 4095) },
);

const requestArb: fc.Arbitrary<GuestRequest> = fc.oneof(
  macArb.map((mac) => ({ type: 'setMac' as const, mac })),
  macArb.map((mac) => ({ type: 'addMac' as const, mac })),
  fc
    .option(macArb, { nil: undefined })
    .map((mac) =>
      mac === undefined ? { type: 'delMac' as const } : { type: 'delMac' as const, mac },
    ),
  vlanArb.map((vlan) => ({ type: 'addVlan' as const, vlan })),
  vlanArb.map((vlan) => ({ type: 'delVlan' as const, vlan })),
  fc.integer({ min: 0, max: 2000 }).map((mtu) => ({ type: 'setMtu' as const, mtu })),
  fc.boolean().map((enable) => ({ type: 'setPromisc' as const, enable })),
  fc.boolean().map((enable) => ({ type: 'setAllmulti' as const, enable })),
  fc.constant({ type: 'reset' as const }),
);

const vfArb = fc.record({
  macs: fc.uniqueArray(fc.constantFrom(...POOL), { maxLength: 3 }),
  vlans: fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { maxLength: 3 }),
  untagged: fc.boolean(),
  guestMacs: fc.integer({ min: 0, max: 2 }),
  trust: fc.boolean(),
  mtu: fc.option(fc.integer({ min: 600, max: 1500 }), { nil: undefined }),
  allowMulticast: fc.boolean(),
  allowUnknownUnicast: fc.boolean(),
});

const policiesArb = fc
  .array(vfArb, { minLength: 2, maxLength: 5 })
  .map((vfs) =>
    vfs.map(
      (v, i): VfPolicyInput => ({
        name: `vf${i}`,
        pf: PF0,
        vf: i,
        ...v,
        vlans: v.untagged ? [] : v.vlans,
      }),
    ),
  )
  .filter(
    (ps) =>
      validate({ file: MAIN_FILE, data: mainInput() }, sourced(ps), capsFor(mainInput())).problems
        .length === 0,
  );

function checkInvariants(w: World): void {
  const [pf] = w.observed();
  const owner = new Map<string, number>();
  for (const o of pf.vfs) {
    const p = w.policies.find((x) => x.vf === o.vf)!;
    const s = o.settings;
    const held = heldMacs(s);
    for (const m of held) {
      assert.equal(
        owner.get(m) ?? o.vf,
        o.vf,
        `MAC ${m} held by vf ${owner.get(m)} and vf ${o.vf}`,
      );
      owner.set(m, o.vf);
    }
    const listed = new Set(p.macs.map(normaliseMac));
    if (!p.trust) {
      const own = held.filter((m) => !listed.has(m));
      assert.ok(
        own.length <= p.guestMacs,
        `${p.name} holds ${own.join(',')} beyond guestMacs ${p.guestMacs}`,
      );
      for (const v of s.vlans)
        assert.ok(p.vlans.includes(v), `${p.name} in VLAN ${v} outside its policy`);
      assert.ok(!s.promisc || p.allowUnknownUnicast, `${p.name} promiscuous against policy`);
      assert.ok(!s.allmulti || p.allowMulticast, `${p.name} all-multicast against policy`);
    }
    for (const v of s.vlans) assert.ok(v >= VLAN_MIN && v <= VLAN_MAX);
    const max = p.mtu ?? pf.mtu;
    assert.ok(s.mtu >= MTU_MIN && s.mtu <= max, `${p.name} mtu ${s.mtu} outside ${MTU_MIN}-${max}`);
  }
}

describe('authorise: properties over random policies and request sequences', () => {
  it('no VF leaves its policy and no MAC is held by two VFs', () => {
    fc.assert(
      fc.property(
        policiesArb,
        fc.array(fc.tuple(fc.nat(), requestArb), { maxLength: 40 }),
        (policies, steps) => {
          const w = new World(mainInput(), policies);
          checkInvariants(w);
          for (const [k, req] of steps) {
            w.ask(`vf${k % policies.length}`, req);
            checkInvariants(w);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a request readsPeers() says false for is decided the same without the PF's other VFs", () => {
    fc.assert(
      fc.property(
        policiesArb,
        fc.array(fc.tuple(fc.nat(), requestArb), { maxLength: 40 }),
        (policies, steps) => {
          const w = new World(mainInput(), policies);
          for (const [k, req] of steps) {
            const name = `vf${k % policies.length}`;
            const policy = w.policy(name);
            const { vf, pf } = w.vfOf(name);
            const alone = authorise(req, policy, vf, { ...pf, vfs: [vf] }, w.peers.get(pf.id));
            const answer = w.ask(name, req);
            if (!readsPeers(req)) assert.deepEqual(alone, answer, JSON.stringify(req));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
