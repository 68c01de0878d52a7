import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFrame } from '../../src/drivers/sim/build.js';
import type { EswitchRule, RuleAction } from '../../src/model/index.js';
import { checkRuleSet } from '../../src/policy/eswitch/check.js';
import { diffRules } from '../../src/policy/eswitch/diff.js';
import {
  isSpillChain,
  MAX_SPILL_PARTS,
  spillParts,
  spillRules,
  TC_MAX_ACTIONS,
  tooDeepSpill,
} from '../../src/policy/eswitch/spill.js';
import { byId, PF, programmed, world } from './kit.js';

const mac = (i: number) => `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`;
/**
 * 64 VFs in VLAN 100 and 200 (trunks, so each also takes untagged frames), every flood flag
 * on; with `monitor`, every other VF mirrors what it receives to that one.
 */
function sixtyFour(monitor?: number) {
  return Array.from({ length: 64 }, (_, i) => ({
    name: `v${i}`,
    vf: i,
    macs: [mac(i)],
    vlans: [100, 200],
    allowBroadcast: true,
    allowMulticast: true,
    allowUnknownUnicast: true,
    ...(monitor !== undefined && i !== monitor
      ? { mirror: { target: `v${monitor}`, direction: 'in' as const } }
      : {}),
  }));
}

/** The actions a frame meets from one rule through its spill chains, gotos left out. */
function unrolled(rules: readonly EswitchRule[], head: EswitchRule): RuleAction[] {
  const out: RuleAction[] = [];
  let r: EswitchRule | undefined = head;
  while (r) {
    const next: RuleAction | undefined = r.actions.find(
      (a) => a.kind === 'goto' && isSpillChain(a.chain),
    );
    out.push(...r.actions.filter((a) => a !== next));
    const chain: number = next?.kind === 'goto' ? next.chain : -1;
    r = next ? rules.find((x) => x.port === head.port && x.chain === chain) : undefined;
  }
  return out;
}

describe('eswitch floods past 32 actions', () => {
  it('64 VFs in one VLAN: every rule fits a TC filter, the set stays sound', () => {
    const w = world(sixtyFour(), { numVfs: 64 });
    assert.deepEqual(checkRuleSet(w.rules), []);
    const longest = Math.max(...w.rules.rules.map((r) => r.actions.length));
    assert.ok(longest <= TC_MAX_ACTIONS, `longest rule has ${longest} actions`);
    const spills = w.rules.rules.filter((r) => isSpillChain(r.chain));
    assert.ok(spills.length > 0, 'some floods are split');
    // The broadcast of VLAN 100 from vf0, unrolled: the wire and every other VF, once each.
    const bcast = byId(w, `vf0/${0x1000 + 100}/bcast`);
    assert.ok(bcast.actions.length <= TC_MAX_ACTIONS);
    const sent = unrolled(w.rules.rules, bcast);
    const to = sent.flatMap((a) => (a.kind === 'mirror' || a.kind === 'redirect' ? [a.to] : []));
    assert.deepEqual(
      [...to].sort(),
      ['uplink', ...Array.from({ length: 63 }, (_, i) => `vf${i + 1}`)].sort(),
    );
    assert.equal(sent.at(-1)?.kind, 'redirect', 'the last part ends the frame');
  });

  it('a changed flood gets new spill chains: nothing of the old one is rewritten', () => {
    const before = world(sixtyFour(), { numVfs: 64 });
    const pols = sixtyFour();
    pols[9] = { ...pols[9], allowBroadcast: false };
    const after = world(pols, { numVfs: 64 });
    const d = diffRules(before.rules.rules, after.rules);
    const spillChanged = d.change.filter((r) => isSpillChain(r.chain));
    assert.deepEqual(spillChanged, [], 'spill rules are added and removed, never replaced');
    assert.ok(d.add.some((r) => isSpillChain(r.chain)));
    assert.ok(d.remove.some((r) => isSpillChain(r.chain)));
    // New spill chains go in before the heads that lead to them are replaced.
    assert.ok(d.add.filter((r) => isSpillChain(r.chain)).length > 0);
    const untouched = after.rules.rules.length - d.add.length - d.change.length;
    assert.ok(untouched > after.rules.rules.length * 0.8, 'a one-VF change stays small');
  });

  it('the sim switches a broadcast to 63 VFs and the wire through the split rules', async () => {
    const pols = sixtyFour(5); // vf5 mirrors what every other VF receives: 127 deliveries
    const { driver } = await programmed('switchdev', pols, { numVfs: 64 });
    const nic = driver.nic;
    const caps = Array.from({ length: 64 }, (_, i) => nic.capture(PF, i));
    const wire = nic.capture(PF, 'wire');
    assert.equal(
      nic.sendFromVf(PF, 0, buildFrame({ dst: 'ff:ff:ff:ff:ff:ff', src: mac(0) })),
      'sent',
    );
    assert.equal(caps[0].frames.length, 0, 'not back to the sender');
    for (let i = 1; i < 64; i++) {
      const want = i === 5 ? 1 + 62 : 1; // its own copy, and the monitoring copy of the others
      assert.equal(caps[i].frames.length, want, `vf${i} gets ${want}`);
    }
    assert.equal(wire.frames.length, 1);
    const [pf] = await driver.observe({ pf: PF });
    const mirrored = pf.vfs.map((v) => v.counters.mirrored);
    assert.equal(
      mirrored.reduce((a, b) => a + b, 0),
      62,
      'each monitoring copy counted once',
    );
    assert.deepEqual([mirrored[0], mirrored[5], mirrored[6]], [0, 0, 1]);
    assert.equal(pf.vfs[0].counters.txPackets, 1);
  });

  it("a flood past the kernel's 16 gotos per frame is found (validate refuses it)", () => {
    const flood = (n: number): EswitchRule => ({
      id: 'vf0/4096/bcast',
      owner: 'pf',
      port: 'vf0',
      chain: 0x1000,
      prio: 10,
      match: { protocol: 'all', dstMac: 'ff:ff:ff:ff:ff:ff' },
      actions: [
        ...Array.from({ length: n - 1 }, (_, i) => ({ kind: 'mirror' as const, to: `vf${i + 1}` })),
        { kind: 'redirect', to: 'uplink' },
      ],
      why: 'broadcast',
    });
    const fits = 32 + 31 * (MAX_SPILL_PARTS - 1);
    assert.equal(spillParts(fits), MAX_SPILL_PARTS);
    const ok = spillRules([flood(fits)]);
    assert.equal(ok.length, MAX_SPILL_PARTS);
    assert.ok(ok.every((r) => r.actions.length <= TC_MAX_ACTIONS));
    assert.equal(tooDeepSpill(ok), null);
    const deep = tooDeepSpill(spillRules([flood(fits + 1)]));
    assert.equal(deep?.parts, MAX_SPILL_PARTS + 1);
  });
});
