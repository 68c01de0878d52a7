import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseMac } from '../../../src/policy/pools/macs.js';

const seq = (...v: number[]) => {
  let i = 0;
  return () => v[i++ % v.length]!;
};

describe('claim MACs', () => {
  it('range: first free, skipping MACs in use anywhere on the network', () => {
    const inUse = new Set(['02:00:00:00:00:ff', '02:00:00:00:01:00']);
    const r = chooseMac(
      { mode: 'range', from: '02:00:00:00:00:FF', to: '02:00:00:00:01:02' },
      inUse,
      Math.random,
    );
    assert.deepEqual(r.ok && r.mac, '02:00:00:00:01:01');
    const full = chooseMac(
      { mode: 'range', from: '02:00:00:00:00:ff', to: '02:00:00:00:01:00' },
      inUse,
      Math.random,
    );
    assert.equal(full.ok, false);
    assert.match(full.why, /every MAC of the range .* \(2\) is in use/);
  });

  it('fixed: first free of the list, refusal when all taken', () => {
    const mode = { mode: 'fixed' as const, macs: ['02:00:00:00:00:01', '02:00:00:00:00:02'] };
    const r = chooseMac(mode, new Set(['02:00:00:00:00:01']), Math.random);
    assert.equal(r.ok && r.mac, '02:00:00:00:00:02');
    assert.equal(chooseMac(mode, new Set(mode.macs), Math.random).ok, false);
  });

  it('random: locally administered unicast, redrawn on a collision, prefix kept', () => {
    // First draw gives 01:00:…: forced to 03→ LAA bit set, group bit cleared = 02.
    const a = chooseMac({ mode: 'random' }, new Set(), seq(1 / 256, 0, 0, 0, 0, 0));
    assert.equal(a.ok && a.mac, '02:00:00:00:00:00'.replace(/00$/, '00'));
    const taken = new Set(['02:00:00:00:00:00']);
    const b = chooseMac({ mode: 'random' }, taken, seq(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 / 256));
    assert.equal(b.ok && b.mac, '02:00:00:00:00:01');
    const c = chooseMac({ mode: 'random', prefix: 'aa:bb' }, new Set(), seq(0.5));
    assert.ok(c.ok && c.mac.startsWith('aa:bb:80'));
    for (let i = 0; i < 200; i++) {
      const m = chooseMac({ mode: 'random' }, new Set(), Math.random);
      assert.ok(m.ok);
      const first = Number.parseInt(m.mac.slice(0, 2), 16);
      assert.equal(first & 3, 2, m.mac);
    }
  });

  it('a wanted MAC is taken only when free', () => {
    assert.equal(
      chooseMac({ mode: 'random' }, new Set(), Math.random, '02:AA:00:00:00:01').ok,
      true,
    );
    const r = chooseMac(
      { mode: 'random' },
      new Set(['02:aa:00:00:00:01']),
      Math.random,
      '02:AA:00:00:00:01',
    );
    assert.equal(r.ok, false);
  });
});
