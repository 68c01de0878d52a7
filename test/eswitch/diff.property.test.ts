import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { EswitchRule } from '../../src/model/index.js';
import { checkRuleSet } from '../../src/policy/eswitch/check.js';
import { diffRules } from '../../src/policy/eswitch/diff.js';
import { world } from './kit.js';
import { policyArb, scenarioArb } from './scenario.js';

/** What a frame needs at every moment: chain 0 on each port and every goto's target, each ending in a catch-all. */
function gaps(rules: readonly EswitchRule[]): string[] {
  const chains = new Map<string, EswitchRule[]>();
  for (const r of rules)
    chains.set(`${r.port}/${r.chain}`, [...(chains.get(`${r.port}/${r.chain}`) ?? []), r]);
  const ends = (k: string) =>
    (chains.get(k) ?? []).some(
      (r) => r.match.protocol === 'all' && Object.keys(r.match).length === 1,
    );
  const out: string[] = [];
  for (const r of rules) {
    if (!ends(`${r.port}/0`)) out.push(`${r.port} chain 0 has no catch-all`);
    for (const a of r.actions)
      if (a.kind === 'goto' && !ends(`${r.port}/${a.chain}`))
        out.push(`${r.id}: chain ${a.chain} has no catch-all`);
  }
  return out;
}

/** Apply a diff one rule at a time, in its order, checking the gaps after each step. */
function stepwise(old: EswitchRule[], d: ReturnType<typeof diffRules>): string[] {
  let cur = [...old];
  const found: string[] = [];
  const place = (r: EswitchRule) => `${r.port}/${r.chain}/${r.prio}/${r.id}`;
  for (const r of d.add) {
    cur.push(r);
    found.push(...gaps(cur));
  }
  for (const r of d.change) {
    cur = cur.map((x) => (x.id === r.id ? r : x));
    found.push(...gaps(cur));
  }
  for (const r of d.remove) {
    cur = cur.filter((x) => place(x) !== place(r));
    found.push(...gaps(cur));
  }
  return found;
}

const change = scenarioArb().chain((s) =>
  fc
    .record({
      s: fc.constant(s),
      k: fc.integer({ min: 0, max: s.policies.length - 1 }),
    })
    .chain(({ s, k }) =>
      fc.record({
        s: fc.constant(s),
        k: fc.constant(k),
        next: policyArb(k, s.policies.length, s.pf.loopback ?? true),
      }),
    ),
);

test('eswitch: every compiled rule set keeps the structural promises of the model', () => {
  fc.assert(
    fc.property(scenarioArb(), (s) => {
      const w = world(s.policies, s.pf, s.guests, { mac: '02:fe:00:00:00:00', ...s.host });
      assert.deepEqual(checkRuleSet(w.rules), []);
    }),
    { numRuns: 200 },
  );
});

test('eswitch: a one-VF change touches only its own rules and the PF’s, and never leaves a gap', () => {
  fc.assert(
    fc.property(change, ({ s, k, next }) => {
      const before = world(s.policies, s.pf, s.guests);
      const policies = s.policies.map((p, i) => (i === k ? next : p));
      const after = world(policies, s.pf, s.guests);
      const d = diffRules(before.rules.rules, after.rules);
      for (const r of [...d.add, ...d.change, ...d.remove]) {
        assert.ok(
          r.owner === 'pf' || r.owner.vf === k,
          `${r.id} belongs to ${JSON.stringify(r.owner)}`,
        );
      }
      assert.equal(
        d.keep + d.add.length + d.change.length,
        after.rules.rules.length,
        'every rule of the new set is kept, added or changed',
      );
      assert.deepEqual(stepwise(before.rules.rules, d), []);
      assert.deepEqual(diffRules(after.rules.rules, after.rules), {
        pf: after.rules.pf,
        add: [],
        change: [],
        remove: [],
        keep: after.rules.rules.length,
      });
    }),
    { numRuns: 200 },
  );
});
