import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type LagUplink,
  type PortMap,
  TcEswitch,
} from '../../../../src/drivers/linux/eswitch/tc-eswitch.js';
import { LAG_CHAIN_SPAN } from '../../../../src/drivers/linux/eswitch/tc-lines.js';
import type { ObservedRule } from '../../../../src/model/index.js';
import { diffRules } from '../../../../src/policy/eswitch/diff.js';
import { world } from '../../../eswitch/kit.js';
import { FakeTc } from './fake-tc.js';

// Hardware VF-LAG on linux: the uplink rules of a member PF go on the bond's clsact, its
// VFs' frames to the wire are redirected to the bond. Member 0 keeps its chains, member 1's
// are LAG_CHAIN_SPAN higher, so both rule sets share the bond.
const A_ALONE = new Map([
  ['uplink', 'up0'],
  ['vf0', 'rep0'],
  ['vf1', 'rep1'],
]);
const A_LAG = new Map([...A_ALONE, ['uplink', 'bond0']]);
const B_LAG = new Map([
  ['uplink', 'bond0'],
  ['vf0', 'rep10'],
]);
const FIRST: LagUplink = { base: 0 };
const SECOND: LagUplink = { base: LAG_CHAIN_SPAN };

const a = world(
  [
    { name: 'a', vf: 0, vlans: [10], macs: ['02:00:00:00:00:01'] },
    { name: 'b', vf: 1, vlans: [10], macs: ['02:00:00:00:00:02'] },
  ],
  { numVfs: 2, loopback: true },
).rules;
// The second member carries no VF policy (linux-capabilities: vfLagFirstMemberOnly).
const b = world([], { numVfs: 1 }).rules;

async function converge(
  sw: TcEswitch,
  ports: PortMap,
  rules: typeof a,
  lag?: LagUplink,
): Promise<ObservedRule[]> {
  const out = await sw.apply(
    diffRules(await sw.observe(ports, undefined, lag), rules),
    ports,
    undefined,
    lag,
  );
  assert.equal(out.status, 'done', JSON.stringify(out));
  return sw.observe(ports, undefined, lag);
}

function on(tc: FakeTc, dev: string) {
  return [...tc.filters.values()].filter((f) => f.dev === dev);
}

describe('TcEswitch: the uplink of a hardware VF-LAG is the bond', () => {
  it('moves the uplink rules to the bond and the VFs’ redirects to it, nothing left behind', async () => {
    const tc = new FakeTc(['up0', 'up1', 'bond0', 'rep0', 'rep1', 'rep10']);
    const sw = new TcEswitch('A', tc.run, 'skip_hw');
    await converge(sw, A_ALONE, a);
    const uplinkRules = a.rules.filter((r) => r.port === 'uplink').length;
    assert.equal(on(tc, 'up0').length, uplinkRules);
    // The LAG is built: every rule on the uplink, and every rule sending to it, is stale.
    assert.match(
      (await sw.drifted(A_LAG, undefined, FIRST)) ?? '',
      /belongs on bond0|sends to a port that moved/,
    );
    const seen = await converge(sw, A_LAG, a, FIRST);
    assert.equal(seen.length, a.rules.length);
    assert.equal(on(tc, 'up0').length, 0, 'the old uplink filters are removed');
    assert.equal(on(tc, 'bond0').length, uplinkRules);
    const toWire = on(tc, 'rep0').filter((f) => /mirred egress redirect dev bond0/.test(f.text));
    assert.ok(toWire.length > 0, 'a VF’s frames for the wire go to the bond');
    assert.ok(!on(tc, 'rep0').some((f) => /dev up0/.test(f.text)), 'nothing sends to the member');
    assert.equal(await sw.drifted(A_LAG, undefined, FIRST), null);
  });

  it('two members share the bond in their own chains; neither sees the other’s as foreign', async () => {
    const tc = new FakeTc(['bond0', 'rep0', 'rep1', 'rep10']);
    const swA = new TcEswitch('A', tc.run, 'skip_hw');
    const swB = new TcEswitch('B', tc.run, 'skip_hw');
    await converge(swA, A_LAG, a, FIRST);
    await converge(swB, B_LAG, b, SECOND);
    const bond = on(tc, 'bond0');
    const high = bond.filter((f) => f.chain >= LAG_CHAIN_SPAN);
    assert.equal(high.length, b.rules.filter((r) => r.port === 'uplink').length);
    for (const f of high) {
      for (const m of f.text.matchAll(/goto chain (\d+)/g)) {
        assert.ok(Number(m[1]) >= LAG_CHAIN_SPAN, `member 1's gotos stay in its chains: ${f.text}`);
      }
    }
    assert.equal(await swA.drifted(A_LAG, undefined, FIRST), null);
    assert.equal(await swB.drifted(B_LAG, undefined, SECOND), null);
    const seenA = await swA.observe(A_LAG, undefined, FIRST);
    assert.ok(
      !seenA.some((r) => r.id.includes('/foreign/')),
      'B’s filters are not A’s foreign ones',
    );
    // Observed rules carry the compiled chains, not the shifted ones.
    const seenB = await swB.observe(B_LAG, undefined, SECOND);
    assert.deepEqual(seenB.map((r) => r.chain).sort(), b.rules.map((r) => r.chain).sort());
  });

  it('a rebuilt bond (member reset) lost its filters: seen, and installed again with its clsact', async () => {
    const tc = new FakeTc(['bond0', 'rep0', 'rep1']);
    const sw = new TcEswitch('A', tc.run, 'skip_hw');
    await converge(sw, A_LAG, a, FIRST);
    for (const [k, f] of tc.filters) if (f.dev === 'bond0') tc.filters.delete(k);
    tc.clsact.delete('bond0');
    sw.forgetDev('bond0');
    assert.match((await sw.drifted(A_LAG, undefined, FIRST)) ?? '', /is gone from bond0/);
    await converge(sw, A_LAG, a, FIRST);
    assert.ok(tc.clsact.has('bond0'));
    assert.equal(on(tc, 'bond0').length, a.rules.filter((r) => r.port === 'uplink').length);
    assert.equal(await sw.drifted(A_LAG, undefined, FIRST), null);
  });

  it('a bond two members share, rebuilt: each ledger sees its rules gone once, and none once they are back', async () => {
    // The lab's balance-xor step (issue 18): the bond is re-created for a new mode, both
    // members' filters go with it. Member 0 is drift-checked first, member 1 is only
    // re-planned (observe, apply): the renewal its observe found is answered by the apply,
    // not reported again by the next drift check.
    const tc = new FakeTc(['bond0', 'rep0', 'rep1', 'rep10']);
    const swA = new TcEswitch('A', tc.run, 'skip_hw');
    const swB = new TcEswitch('B', tc.run, 'skip_hw');
    await converge(swA, A_LAG, a, FIRST);
    await converge(swB, B_LAG, b, SECOND);
    tc.unregister('bond0');
    tc.devs.add('bond0');
    swA.forgetDev('bond0');
    swB.forgetDev('bond0');
    assert.match((await swA.drifted(A_LAG, undefined, FIRST)) ?? '', /is gone from bond0/);
    await converge(swA, A_LAG, a, FIRST);
    await converge(swB, B_LAG, b, SECOND);
    assert.equal(
      on(tc, 'bond0').length,
      [...a.rules, ...b.rules].filter((r) => r.port === 'uplink').length,
    );
    assert.equal(await swA.drifted(A_LAG, undefined, FIRST), null);
    assert.equal(await swB.drifted(B_LAG, undefined, SECOND), null);
    // The other order: member 1 drift-checked, member 0 only re-planned.
    tc.unregister('bond0');
    tc.devs.add('bond0');
    swA.forgetDev('bond0');
    swB.forgetDev('bond0');
    assert.match((await swB.drifted(B_LAG, undefined, SECOND)) ?? '', /is gone from bond0/);
    await converge(swB, B_LAG, b, SECOND);
    await converge(swA, A_LAG, a, FIRST);
    assert.equal(await swA.drifted(A_LAG, undefined, FIRST), null);
    assert.equal(await swB.drifted(B_LAG, undefined, SECOND), null);
  });

  it('the LAG removed: the rules go back to the PF netdev, the bond’s are gone with it', async () => {
    const tc = new FakeTc(['up0', 'bond0', 'rep0', 'rep1']);
    const sw = new TcEswitch('A', tc.run, 'skip_hw');
    await converge(sw, A_LAG, a, FIRST);
    tc.devs.delete('bond0');
    for (const [k, f] of tc.filters) if (f.dev === 'bond0') tc.filters.delete(k);
    const seen = await converge(sw, A_ALONE, a);
    assert.equal(seen.length, a.rules.length);
    assert.equal(on(tc, 'up0').length, a.rules.filter((r) => r.port === 'uplink').length);
    assert.ok(!on(tc, 'rep0').some((f) => /dev bond0/.test(f.text)));
    assert.equal(await sw.drifted(A_ALONE), null);
  });

  it('the drift poll heals a rebuilt bond in place, in the member’s chains', async () => {
    const tc = new FakeTc(['bond0', 'rep10']);
    const sw = new TcEswitch('B', tc.run, 'skip_hw');
    await converge(sw, B_LAG, b, SECOND);
    const before = on(tc, 'bond0')
      .map((f) => `${f.chain}/${f.prio}/${f.handle}`)
      .sort();
    for (const [k, f] of tc.filters) if (f.dev === 'bond0') tc.filters.delete(k);
    tc.clsact.delete('bond0');
    sw.forgetDev('bond0');
    const healed = await sw.heal(B_LAG, undefined, SECOND);
    assert.ok(healed && healed.failed.length === 0, JSON.stringify(healed));
    assert.equal(healed?.repaired, b.rules.filter((r) => r.port === 'uplink').length);
    assert.deepEqual(
      on(tc, 'bond0')
        .map((f) => `${f.chain}/${f.prio}/${f.handle}`)
        .sort(),
      before,
    );
    assert.equal(await sw.drifted(B_LAG, undefined, SECOND), null);
  });
});
