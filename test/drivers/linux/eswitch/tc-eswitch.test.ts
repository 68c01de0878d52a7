import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TcEswitch } from '../../../../src/drivers/linux/eswitch/tc-eswitch.js';
import type { ObservedRule } from '../../../../src/model/index.js';
import { diffRules } from '../../../../src/policy/eswitch/diff.js';
import { world } from '../../../eswitch/kit.js';
import { FakeTc } from './fake-tc.js';

const PORTS = new Map([
  ['uplink', 'up0'],
  ['vf0', 'rep0'],
  ['vf1', 'rep1'],
]);

function policies(vlans: number[]) {
  return world(
    [
      { name: 'a', vf: 0, vlans, macs: ['02:00:00:00:00:01'] },
      { name: 'b', vf: 1, vlans: [10], macs: ['02:00:00:00:00:02'] },
    ],
    { numVfs: 2, loopback: true },
  );
}

async function converge(sw: TcEswitch, vlans: number[]): Promise<ObservedRule[]> {
  const before = await sw.observe(PORTS);
  const out = await sw.apply(diffRules(before, policies(vlans).rules), PORTS);
  assert.equal(out.status, 'done', JSON.stringify(out));
  return sw.observe(PORTS);
}

function ids(rules: { id: string }[]): string[] {
  return rules.map((r) => r.id).sort();
}

describe('TcEswitch: the ledger of one PF’s filters', () => {
  it('installs a rule set in one batch (clsact first), reads it back by cookie', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    const seen = await converge(sw, [10, 20]);
    const want = policies([10, 20]).rules.rules;
    assert.deepEqual(ids(seen), ids(want));
    const batches = tc.runs.filter((r) => r.args.includes('-force'));
    assert.equal(batches.length, 1, 'one tc process installs the whole set');
    assert.deepEqual(
      batches[0].lines.slice(0, 3).map((l) => l.split(' ').slice(0, 4).join(' ')),
      ['qdisc add dev up0', 'qdisc add dev rep0', 'qdisc add dev rep1'],
    );
    assert.equal(tc.filters.size, want.length);
    assert.ok(seen.every((r) => r.inHw === false && typeof r.handle === 'number'));
  });

  it('a one-VF change touches only what moved, installs before it removes', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    await converge(sw, [10, 20]);
    const n = tc.runs.length;
    const diff = diffRules(await sw.observe(PORTS), policies([10, 30]).rules);
    const out = await sw.apply(diff, PORTS);
    assert.equal(out.status, 'done');
    const batches = tc.runs.slice(n).filter((r) => r.args.includes('-force'));
    assert.equal(batches.length, 2, 'install, then remove');
    assert.ok(batches[0].lines.every((l) => l.startsWith('filter replace')));
    assert.ok(batches[1].lines.every((l) => l.startsWith('filter del')));
    assert.equal(batches[0].lines.length, diff.add.length + diff.change.length);
    assert.equal(batches[1].lines.length, diff.remove.length);
    assert.ok(batches[0].lines.length + batches[1].lines.length < tc.filters.size / 2);
    assert.deepEqual(ids(await sw.observe(PORTS)), ids(policies([10, 30]).rules.rules));
  });

  it('a kernel refusal names VF, field, rule and the kernel text; this apply is rolled back', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    await converge(sw, [10]);
    const before = new Map([...tc.filters].map(([k, f]) => [k, f.text]));
    tc.refuse = (l) =>
      l.includes('vlan_id 30') && l.includes('dev rep0') ? 'mlx5_core: too many VLANs' : null;
    const out = await sw.apply(diffRules(await sw.observe(PORTS), policies([10, 30]).rules), PORTS);
    assert.equal(out.status, 'failed');
    assert.ok(out.status === 'failed' && out.failures.length >= 1);
    if (out.status === 'failed') {
      assert.match(
        out.failures[0].error,
        /vf 0 \(a\), field vlans\/vlanAntiSpoof, rule vf0 chain 1 prio 11 \(vf0\/1\/vlan\/802.1Q\/30\): the kernel refused it: mlx5_core: too many VLANs/,
      );
    }
    assert.deepEqual(
      new Map([...tc.filters].map(([k, f]) => [k, f.text])),
      before,
      'nothing half-applied',
    );
    assert.deepEqual(ids(await sw.observe(PORTS)), ids(policies([10]).rules.rules));
  });

  it('drift: a filter deleted or replaced behind its back is seen and put back', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    await converge(sw, [10]);
    assert.equal(await sw.drifted(PORTS), null);
    const [k, victim] = [...tc.filters].find(([, f]) => f.dev === 'rep0' && f.chain === 1) ?? [];
    assert.ok(k && victim);
    tc.filters.delete(k);
    assert.match((await sw.drifted(PORTS)) ?? '', /is gone from rep0/);
    await converge(sw, [10]);
    assert.equal(await sw.drifted(PORTS), null);
    const other = [...tc.filters.values()].find((f) => f.dev === 'rep1' && f.chain === 0);
    assert.ok(other);
    other.cookie = null;
    assert.match((await sw.drifted(PORTS)) ?? '', /was changed on rep1/);
    await converge(sw, [10]);
    assert.equal(await sw.drifted(PORTS), null);
  });

  it('foreign filters are reported and removed; after a restart its own ones are adopted', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    await converge(sw, [10]);
    const size = tc.filters.size;
    await tc.run(
      ['-force', '-batch', '-'],
      'filter replace dev rep1 ingress chain 9 prio 1 handle 1 protocol all flower action drop\n',
    );
    assert.match((await sw.drifted(PORTS)) ?? '', /1 filters nicvisor did not install/);
    const seen = await sw.observe(PORTS);
    assert.ok(seen.some((r) => r.id === 'vf1/9/foreign/1/1'));
    await converge(sw, [10]);
    assert.equal(tc.filters.size, size);
    const restarted = new TcEswitch('pf', tc.run, 'skip_hw');
    const n = tc.runs.length;
    await converge(restarted, [10]);
    const writes = tc.runs.slice(n).filter((r) => r.args.includes('-force'));
    assert.deepEqual(writes, [], 'identical filters are adopted, not reinstalled');
    assert.equal(await restarted.drifted(PORTS), null);
  });

  it('after a restart, an old filter in a slot a new rule takes goes first, in the same batch', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    await converge(new TcEswitch('pf', tc.run, 'skip_hw'), [10, 20]);
    // Another run with other policies: its flood and VLAN rules sit where the new ones go
    // (a real kernel refuses the new filter with "File exists" while the old one is there).
    const restarted = new TcEswitch('pf', tc.run, 'skip_hw');
    const n = tc.runs.length;
    const seen = await converge(restarted, [10, 30]);
    assert.deepEqual(ids(seen), ids(policies([10, 30]).rules.rules), 'only the new set is left');
    const [first] = tc.runs.slice(n).filter((r) => r.args.includes('-force'));
    const slot = (l: string) =>
      /dev (\S+) ingress chain (\d+) prio (\d+)/.exec(l)?.slice(1).join(' ');
    const dels = first.lines.filter((l) => l.startsWith('filter del'));
    assert.ok(dels.length > 0, 'stale filters in taken slots are deleted in the install batch');
    for (const d of dels) {
      const at = first.lines.indexOf(d);
      const add = first.lines.findIndex((l) => !l.startsWith('filter del') && slot(l) === slot(d));
      assert.ok(add === -1 || add > at, `${d} comes before the rule that takes its slot`);
    }
    assert.equal(await restarted.drifted(PORTS), null);
  });

  it('a missing representor fails the whole diff before anything is sent', async () => {
    const tc = new FakeTc(['up0', 'rep0']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    const out = await sw.apply(
      diffRules([], policies([10]).rules),
      new Map([
        ['uplink', 'up0'],
        ['vf0', 'rep0'],
      ]),
    );
    assert.equal(out.status, 'failed');
    if (out.status === 'failed')
      assert.match(out.failures[0].error, /port vf1 has no netdev \(its representor is missing\)/);
    assert.equal(tc.runs.length, 0);
  });

  it('a rule with more actions than TC holds (32) is refused before anything is sent', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    const rules = policies([10]).rules;
    const big = {
      ...rules.rules[0],
      actions: [
        ...Array.from({ length: 32 }, () => ({ kind: 'mirror' as const, to: 'vf1' })),
        { kind: 'drop' as const },
      ],
    };
    const out = await sw.apply({ pf: 'pf', add: [big], change: [], remove: [], keep: 0 }, PORTS);
    assert.equal(out.status, 'failed');
    if (out.status === 'failed')
      assert.match(
        out.failures[0].error,
        /33 actions, but a TC filter holds at most 32 \(TCA_ACT_MAX_PRIO\)/,
      );
    assert.equal(tc.runs.length, 0);
  });

  it('a renamed representor keeps its rules: no drift, nothing reinstalled', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    const ids = new Map([
      ['uplink', 1],
      ['vf0', 10],
      ['vf1', 11],
    ]);
    const before = await sw.observe(PORTS, ids);
    assert.equal(
      (await sw.apply(diffRules(before, policies([10]).rules), PORTS, ids)).status,
      'done',
    );
    tc.rename('rep0', 'guest-a');
    const renamed = new Map([...PORTS, ['vf0', 'guest-a']]);
    assert.equal(await sw.drifted(renamed, ids), null);
    const seen = await sw.observe(renamed, ids);
    const d = diffRules(seen, policies([10]).rules);
    assert.deepEqual([d.add.length, d.change.length, d.remove.length], [0, 0, 0]);
    // Its rules are deleted under the new name when the policy drops them.
    const n = tc.runs.length;
    assert.equal(
      (await sw.apply(diffRules(seen, policies([20]).rules), renamed, ids)).status,
      'done',
    );
    const lines = tc.runs.slice(n).flatMap((r) => r.lines);
    assert.ok(lines.some((l) => l.startsWith('filter del dev guest-a')));
    assert.ok(!lines.some((l) => l.includes(' rep0 ')));
    assert.equal(await sw.drifted(renamed, ids), null);
  });

  it('a representor that vanishes and comes back gets its rules again, and so do rules that mirror to it', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    const ids = new Map([
      ['uplink', 1],
      ['vf0', 10],
      ['vf1', 11],
    ]);
    const want = policies([10]).rules;
    await sw.apply(diffRules(await sw.observe(PORTS, ids), want), PORTS, ids);
    const total = tc.filters.size;
    tc.unregister('rep1');
    const without = new Map([...PORTS].filter(([p]) => p !== 'vf1'));
    assert.match((await sw.drifted(without, ids)) ?? '', /netdev of vf1 \(rep1\) is gone/);
    assert.equal(await sw.drifted(without, ids), null, 'said once');
    // Back, with a new ifindex (same name, as a VF recreated by its driver gets).
    tc.devs.add('rep1');
    const back = new Map([...ids, ['vf1', 12]]);
    assert.match(
      (await sw.drifted(PORTS, back)) ?? '',
      /netdev of vf1 is new \(rep1, ifindex 12, was 11\)/,
    );
    const seen = await sw.observe(PORTS, back);
    const d = diffRules(seen, want);
    const mirrorsTo1 = want.rules.filter(
      (r) => r.port !== 'vf1' && r.actions.some((a) => 'to' in a && a.to === 'vf1'),
    );
    assert.ok(mirrorsTo1.length > 0);
    const onVf1 = want.rules.filter((r) => r.port === 'vf1');
    assert.deepEqual(
      d.add.map((r) => r.id).sort(),
      [...onVf1, ...mirrorsTo1].map((r) => r.id).sort(),
      'its own rules and those naming it, nothing else',
    );
    const n = tc.runs.length;
    assert.equal((await sw.apply(d, PORTS, back)).status, 'done');
    const lines = tc.runs.slice(n).flatMap((r) => r.lines);
    assert.equal(lines[0], 'qdisc add dev rep1 clsact', 'its clsact went with it');
    assert.equal(tc.filters.size, total);
    assert.equal(await sw.drifted(PORTS, back), null);
    assert.equal(diffRules(await sw.observe(PORTS, back), want).add.length, 0);
  });

  it('a representor moved to another netns and back (same name and ifindex) is seen by its empty clsact', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    const want = policies([10]).rules;
    await sw.apply(diffRules(await sw.observe(PORTS), want), PORTS);
    const total = tc.filters.size;
    tc.unregister('rep0');
    tc.devs.add('rep0');
    assert.match((await sw.drifted(PORTS)) ?? '', /every rule of vf0 is gone from rep0/);
    const d = diffRules(await sw.observe(PORTS), want);
    assert.ok(
      d.add.some((r) => r.port !== 'vf0'),
      'rules that mirror to it too',
    );
    assert.equal((await sw.apply(d, PORTS)).status, 'done');
    assert.equal(tc.filters.size, total);
    assert.equal(await sw.drifted(PORTS), null);
  });

  it('heal: one read and one batch put back exactly the rules deleted or changed', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    await converge(sw, [10]);
    assert.equal(await sw.heal(PORTS), null);
    const before = new Map([...tc.filters].map(([k, f]) => [k, f.text]));
    const [k] = [...tc.filters].find(([, f]) => f.dev === 'rep0' && f.chain === 1) ?? [];
    assert.ok(k);
    tc.filters.delete(k);
    const other = [...tc.filters.values()].find((f) => f.dev === 'rep1' && f.chain === 0);
    assert.ok(other);
    other.cookie = null;
    const n = tc.runs.length;
    const healed = await sw.heal(PORTS);
    assert.match(healed?.why ?? '', /2 rules gone or changed \(1 changed\)/);
    assert.deepEqual([healed?.repaired, healed?.failed], [2, []]);
    const runs = tc.runs.slice(n);
    assert.equal(runs.length, 2, 'one read, one batch');
    assert.equal(runs[1].lines.length, 2, 'only the two rules');
    assert.deepEqual(new Map([...tc.filters].map(([x, f]) => [x, f.text])), before);
    assert.equal(await sw.drifted(PORTS), null);
  });

  it('heal: a foreign filter is reported, left to the plan', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    await converge(sw, [10]);
    await tc.run(
      [],
      'filter add dev rep0 ingress chain 7 prio 1 handle 1 protocol all flower action drop\n',
    );
    const healed = await sw.heal(PORTS);
    assert.deepEqual([healed?.why, healed?.repaired], ['1 filters nicvisor did not install', 0]);
  });

  it('watching TC notifications, a drift check reads only the netdevs they named', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    sw.watch(true);
    await converge(sw, [10]);
    const reads = () => tc.runs.filter((r) => r.args.includes('-j')).slice(-1)[0]?.lines ?? [];
    assert.equal(await sw.heal(PORTS), null);
    const n = tc.runs.length;
    assert.equal(await sw.heal(PORTS), null);
    assert.equal(tc.runs.length, n, 'nothing named, nothing read');
    const [k] = [...tc.filters].find(([, f]) => f.dev === 'rep1' && f.chain === 0) ?? [];
    assert.ok(k);
    tc.filters.delete(k);
    sw.touched('rep1');
    const healed = await sw.heal(PORTS);
    assert.equal(healed?.repaired, 1);
    assert.deepEqual(reads(), ['filter show dev rep1 ingress']);
    // Its own batch named rep1: read again next time, then quiet.
    assert.equal(await sw.heal(PORTS), null);
    assert.deepEqual(reads(), ['filter show dev rep1 ingress']);
    const m = tc.runs.length;
    assert.equal(await sw.heal(PORTS), null);
    assert.equal(tc.runs.length, m);
    // Notifications lost: everything is read.
    sw.touched(null);
    assert.equal(await sw.heal(PORTS), null);
    assert.equal(reads().length, 3);
    // observe always reads everything: counters.
    await sw.observe(PORTS);
    assert.equal(reads().length, 3);
  });
  it('watching: a netdev moved to a netns and back lost its filters unannounced by TC; its link notification makes the check read it', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    sw.watch(true);
    await converge(sw, [10]);
    assert.equal(await sw.heal(PORTS), null);
    const onRep0 = [...tc.filters.values()].filter((f) => f.dev === 'rep0').length;
    assert.ok(onRep0 > 0);
    // Same name, same ifindex, no clsact, no filters, and not one TC notification.
    tc.unregister('rep0');
    tc.devs.add('rep0');
    assert.equal(await sw.heal(PORTS), null, 'unnamed: its filters as last read');
    sw.touched('rep0'); // the driver does this on the link notification of rep0's ifindex
    const healed = await sw.heal(PORTS);
    assert.match(healed?.why ?? '', /every rule of vf0 is gone from rep0/);
    assert.ok(healed && healed.repaired >= onRep0 && healed.failed.length === 0);
    assert.ok(tc.clsact.has('rep0'), 'its clsact is back');
    assert.equal([...tc.filters.values()].filter((f) => f.dev === 'rep0').length, onRep0);
    assert.equal(await sw.drifted(PORTS), null);
  });
  it('a port found emptied by observe stays news until an apply puts its rules back', async () => {
    const tc = new FakeTc(['up0', 'rep0', 'rep1']);
    const sw = new TcEswitch('pf', tc.run, 'skip_hw');
    await converge(sw, [10]);
    tc.unregister('rep0');
    tc.devs.add('rep0');
    const seen = await sw.observe(PORTS);
    const want = policies([10]).rules;
    const d = diffRules(seen, want);
    assert.ok(d.add.some((r) => r.port === 'vf0'));
    // An apply of something else (vf1 only) does not answer it.
    const other = { ...d, add: d.add.filter((r) => r.port !== 'vf0'), change: [], remove: [] };
    assert.equal((await sw.apply(other, PORTS)).status, 'done');
    assert.match((await sw.drifted(PORTS)) ?? '', /every rule of vf0 is gone from rep0/);
    assert.equal((await sw.apply(diffRules(await sw.observe(PORTS), want), PORTS)).status, 'done');
    assert.equal(await sw.drifted(PORTS), null);
  });
});
