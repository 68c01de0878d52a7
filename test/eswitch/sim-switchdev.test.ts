import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFrame } from '../../src/drivers/sim/build.js';
import type { RuleDiff } from '../../src/model/index.js';
import { PF, programmed } from './kit.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const policies = [
  { name: 'a', vf: 0, macs: [A], vlans: [10] },
  { name: 'b', vf: 1, macs: [B], vlans: [10] },
];

describe('sim switchdev mode', () => {
  it('switches by the installed rules and reads them back with counters, in hardware', async () => {
    const { driver } = await programmed('switchdev', policies, { numVfs: 2 });
    const nic = driver.nic;
    const got = nic.capture(PF, 1);
    assert.equal(nic.sendFromVf(PF, 0, buildFrame({ dst: B, src: A })), 'sent');
    assert.equal(nic.sendFromVf(PF, 0, buildFrame({ dst: B, src: B })), 'spoofed');
    assert.equal(got.frames.length, 1);
    const [pf] = await driver.observe({ pf: PF });
    const rule = (id: string) => pf.eswitch!.rules.find((r) => r.id === id)!;
    assert.deepEqual(
      [rule(`vf0/0/src/${A}`).packets, rule('vf0/0/end').drops, rule('vf0/0/end').inHw],
      [1, 1, true],
    );
    assert.equal(rule(`vf0/${0x1000 + 10}/mac/${B}`).bytes, 68, 'the frame as switched: tagged');
    assert.equal(pf.vfs[0].counters.spoofed, 1);
    assert.equal(pf.host?.mac, '02:fe:00:00:00:00', 'the host interface is reported');
  });

  it('refuses a rule for a port it lacks, naming the rule, and installs the rest', async () => {
    const { driver } = await programmed('switchdev', policies, { numVfs: 2 });
    const diff: RuleDiff = {
      pf: PF,
      add: [
        {
          id: 'vf5/0/x',
          owner: 'pf',
          port: 'vf5',
          chain: 0,
          prio: 1,
          match: { protocol: 'all' },
          actions: [{ kind: 'drop' }],
          why: 'test',
        },
        {
          id: 'vf0/0/y',
          owner: 'pf',
          port: 'vf0',
          chain: 0,
          prio: 1,
          match: { protocol: 'all', srcMac: B },
          actions: [{ kind: 'drop' }],
          why: 'test',
        },
      ],
      change: [],
      remove: [],
      keep: 0,
    };
    const r = await driver.apply({ steps: [], eswitch: [diff] });
    const o = r.eswitch?.[0];
    assert.equal(o?.status, 'failed');
    assert.deepEqual(o?.status === 'failed' ? o.failures.map((f) => f.error) : [], [
      'vf5 chain 0 prio 1 (vf5/0/x): port vf5 does not exist: the PF has 2 VFs (vf0-vf1)',
    ]);
    const [pf] = await driver.observe({ pf: PF });
    assert.ok(pf.eswitch?.rules.some((x) => x.id === 'vf0/0/y'));
  });

  it('refuses rules for a PF in legacy mode: put the PF in switchdev mode', async () => {
    const { driver } = await programmed('legacy', policies, { numVfs: 2 });
    const rule = {
      id: 'vf0/0/end',
      owner: 'pf' as const,
      port: 'vf0',
      chain: 0,
      prio: 0xffff,
      match: { protocol: 'all' as const },
      actions: [{ kind: 'drop' as const }],
      why: 'test',
    };
    const r = await driver.apply({
      steps: [],
      eswitch: [{ pf: PF, add: [rule], change: [], remove: [], keep: 0 }],
    });
    const o = r.eswitch?.[0];
    assert.match(o?.status === 'failed' ? o.failures[0].error : '', /put the PF in switchdev mode/);
    assert.equal((await driver.observe({ pf: PF }))[0].eswitch, undefined);
  });

  it('a new VF count clears the rules (new representors); a PF reset goes back to legacy', async () => {
    const { driver } = await programmed('switchdev', policies, { numVfs: 2 });
    const nic = driver.nic;
    await driver.apply({ steps: [{ kind: 'setNumVfs', pf: PF, from: 2, to: 3, reason: 't' }] });
    const [after] = await driver.observe({ pf: PF });
    assert.deepEqual(after.eswitch?.rules, []);
    assert.equal(nic.sendFromVf(PF, 0, buildFrame({ dst: B, src: A })), 'filtered');
    nic.resetPf(PF);
    const [reset] = await driver.observe({ pf: PF });
    assert.deepEqual([reset.eswitchMode, reset.eswitch], ['legacy', undefined]);
  });
});

describe('nicvisor show rules', () => {
  it('prints each rule in tc words with its counters and where it runs', async () => {
    const { rulesTable } = await import('../../src/cli/commands/rules.js');
    const { driver } = await programmed('switchdev', policies, { numVfs: 2 });
    driver.nic.sendFromVf(PF, 0, buildFrame({ dst: B, src: A }));
    const [pf] = await driver.observe({ pf: PF });
    const rules = pf.eswitch!.rules.filter((r) => r.port === 'vf0');
    const text = rulesTable({
      name: 'a',
      pf: PF,
      vf: 0,
      port: 'vf0',
      eswitchMode: 'switchdev',
      rules,
      note: null,
    });
    const lines = text.split('\n');
    assert.match(lines[0], /^a: sim:nic0\/0 vf 0 \(port vf0\), eswitch switchdev, \d+ rules$/);
    assert.match(lines[1], /^PORT +CHAIN +PRIO +MATCH +ACTIONS +PKTS +BYTES +DROPS +HW +WHY$/);
    const src = lines.find((l) => l.includes(`src_mac ${A}`));
    assert.match(src ?? '', /goto chain 1 +1 +64 +0 +in_hw +source 02:00:00:00:00:0a is a's own/);
  });
});
