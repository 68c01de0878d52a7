/**
 * Guest requests at scale: ≥ 100,000 random requests (NICVISOR_GUEST_REQUESTS) across random
 * valid policies, written into the sim NIC's mailbox and answered by the real authorise()
 * against what the NIC holds, as the daemon answers them. After every request: no VF holds a
 * MAC, VLAN or MTU outside its policy, no MAC is on two VFs of the PF, and no counter went
 * backwards (traffic flows between requests so counters move).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildFrame } from '../../src/drivers/sim/build.js';
import { ManualClock } from '../../src/drivers/sim/clock.js';
import { SimDriver } from '../../src/drivers/sim/driver.js';
import { createNic } from '../../src/drivers/sim/nic.js';
import {
  defaultCapabilityMap,
  type GuestRequest,
  MainConfig,
  MTU_MIN,
  normaliseMac,
  type ObservedPf,
  type VfCounters,
  type VfPolicy,
  type VfPolicyInput,
  VLAN_MAX,
  VLAN_MIN,
} from '../../src/model/index.js';
import { authorise, pfPeers } from '../../src/policy/authorise.js';
import { heldMacs } from '../../src/policy/authorise-mac.js';
import { desiredState } from '../../src/policy/desired.js';
import { plan } from '../../src/policy/plan.js';
import { validate } from '../../src/policy/validate.js';
import { knob, Prng } from './prng.js';

const PF = 'sim:nic0/0';
const NUM_VFS = 8;
const POOL = Array.from(
  { length: 12 },
  (_, i) => `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
);
const ODD_MACS = [
  '01:00:5e:00:00:01',
  'ff:ff:ff:ff:ff:ff',
  '00:00:00:00:00:00',
  'bad',
  '02:00:00:00:00:0C',
];
const MAIN = { driver: 'sim', pfs: [{ pf: PF, numVfs: NUM_VFS, mtu: 1500 }] };

function randomPolicies(r: Prng): VfPolicyInput[] {
  const n = r.int(2, NUM_VFS);
  const macs = [...POOL].sort(() => r.next() - 0.5);
  return Array.from({ length: n }, (_, i) => {
    const untagged = r.chance(0.25);
    return {
      name: `g${i}`,
      pf: PF,
      vf: i,
      macs: macs.splice(0, r.int(0, 2)),
      vlans: untagged ? [] : r.subset([1, 2, 3, 4, 5, 6], 0),
      untagged,
      guestMacs: r.int(0, 2),
      trust: r.chance(0.15),
      ...(r.chance(0.5) ? { mtu: r.int(600, 1500) } : {}),
      allowMulticast: r.chance(0.5),
      allowUnknownUnicast: r.chance(0.3),
    };
  });
}

function randomRequest(r: Prng): GuestRequest {
  const mac = () => (r.chance(0.9) ? r.pick(POOL) : r.pick(ODD_MACS));
  const vlan = () => (r.chance(0.9) ? r.int(1, 8) : r.pick([0, 4095, -1, 70000]));
  switch (r.int(0, 8)) {
    case 0:
      return { type: 'setMac', mac: mac() };
    case 1:
      return { type: 'addMac', mac: mac() };
    case 2:
      return r.chance(0.3) ? { type: 'delMac' } : { type: 'delMac', mac: mac() };
    case 3:
      return { type: 'addVlan', vlan: vlan() };
    case 4:
      return { type: 'delVlan', vlan: vlan() };
    case 5:
      return {
        type: 'setMtu',
        mtu: r.chance(0.9) ? r.int(MTU_MIN, 1600) : r.pick([0, 67, 9217, 1e9]),
      };
    case 6:
      return { type: 'setPromisc', enable: r.chance(0.5) };
    case 7:
      return { type: 'setAllmulti', enable: r.chance(0.5) };
    default:
      return { type: 'reset' };
  }
}

function checkPolicy(pf: ObservedPf, policies: VfPolicy[], where: string): void {
  const owner = new Map<string, number>();
  for (const p of policies) {
    const o = pf.vfs[p.vf];
    const s = o.settings;
    const held = heldMacs(s);
    for (const m of held) {
      const other = owner.get(m);
      assert.ok(
        other === undefined || other === p.vf,
        `${where}: MAC ${m} on vf ${other} and vf ${p.vf}`,
      );
      owner.set(m, p.vf);
    }
    if (!p.trust) {
      const listed = new Set(p.macs.map(normaliseMac));
      const own = held.filter((m) => !listed.has(m));
      assert.ok(
        own.length <= p.guestMacs,
        `${where}: ${p.name} holds ${own} past guestMacs ${p.guestMacs}`,
      );
      for (const v of s.vlans)
        assert.ok(p.vlans.includes(v), `${where}: ${p.name} in VLAN ${v} outside policy`);
      assert.ok(
        !s.promisc || p.allowUnknownUnicast,
        `${where}: ${p.name} promiscuous against policy`,
      );
      assert.ok(
        !s.allmulti || p.allowMulticast,
        `${where}: ${p.name} all-multicast against policy`,
      );
    }
    for (const v of s.vlans) assert.ok(v >= VLAN_MIN && v <= VLAN_MAX, `${where}: VLAN ${v}`);
    const max = p.mtu ?? pf.mtu;
    assert.ok(
      s.mtu >= MTU_MIN && s.mtu <= max,
      `${where}: ${p.name} MTU ${s.mtu} outside ${MTU_MIN}-${max}`,
    );
  }
}

const COUNTER_KEYS = [
  'rxPackets',
  'rxBytes',
  'txPackets',
  'txBytes',
  'rxDropped',
  'txDropped',
  'spoofed',
] as const;

function checkCounters(prev: VfCounters[], pf: ObservedPf, where: string): VfCounters[] {
  const now = pf.vfs.map((v) => v.counters);
  for (let i = 0; i < prev.length; i++)
    for (const k of COUNTER_KEYS)
      assert.ok(
        now[i][k] >= prev[i][k],
        `${where}: vf ${i} ${k} went back ${prev[i][k]} → ${now[i][k]}`,
      );
  return now;
}

test('guest requests: random requests over random policies never leave a policy', async () => {
  const r = Prng.fromEnv();
  const total = knob('NICVISOR_GUEST_REQUESTS', 100_000);
  const main = MainConfig.parse(MAIN);
  const caps = defaultCapabilityMap(main);
  let sent = 0;
  let acks = 0;
  let worlds = 0;
  const t0 = performance.now();
  while (sent < total) {
    const inputs = randomPolicies(r);
    const v = validate(
      { file: 'main', data: MAIN },
      inputs.map((p) => ({ file: `${p.name}.json`, data: p })),
      caps,
    );
    if (v.problems.length > 0) continue;
    worlds += 1;
    const policies = v.policies;
    const nic = createNic(
      [{ name: 'nic0', ports: 1, totalVfs: 16, linkSpeedMbps: 10000 }],
      new ManualClock(),
    );
    const driver = new SimDriver(nic, null);
    const desired = desiredState(main, policies, new Map(), new Map());
    // As the reconciler does: apply until the plan is empty (PF steps, then VF steps).
    for (let round = 0; round < 4; round++) {
      const p = plan(desired, await driver.observe());
      if (p.steps.length === 0) break;
      await driver.apply(p);
    }
    const peers = pfPeers(policies);
    const byVf = new Map(policies.map((p) => [p.vf, p]));
    nic.setGuestRequestHandler(async (pfId, vf, req) => {
      const policy = byVf.get(vf)!;
      const [opf] = await driver.observe({ pf: pfId });
      return authorise(req, policy, opf.vfs[vf], opf, peers);
    });
    let [pf] = await driver.observe({ pf: PF });
    let counters = pf.vfs.map((x) => x.counters);
    const steps = Math.min(total - sent, r.int(200, 2000));
    for (let i = 0; i < steps; i++) {
      const p = r.pick(policies);
      const req = randomRequest(r);
      const d = await nic.guestRequest(PF, p.vf, req);
      if (d.result === 'ack') acks += 1;
      if (i % 16 === 0) {
        // Traffic, so counters move: from the wire to a VF, and from a VF out.
        const dst = pf.vfs[r.pick(policies).vf].settings.mac;
        nic.sendFromWire(
          PF,
          buildFrame({
            dst,
            src: '02:ee:00:00:00:01',
            tags: r.chance(0.5) ? [{ vid: r.int(1, 6) }] : [],
          }),
        );
        const from = r.pick(policies);
        nic.sendFromVf(
          PF,
          from.vf,
          buildFrame({ dst: '02:ee:00:00:00:01', src: pf.vfs[from.vf].settings.mac }),
        );
      }
      [pf] = await driver.observe({ pf: PF });
      const where = `seed ${r.seed}, world ${worlds}, request ${sent + i} ${JSON.stringify(req)} from ${p.name}`;
      checkPolicy(pf, policies, where);
      counters = checkCounters(counters, pf, where);
    }
    sent += steps;
    nic.close();
  }
  const ms = performance.now() - t0;
  console.log(
    `guest property: seed ${r.seed}: ${sent} random requests over ${worlds} random policy sets, ${acks} acked, ${Math.round(sent / (ms / 1000))}/s, violations 0`,
  );
});
