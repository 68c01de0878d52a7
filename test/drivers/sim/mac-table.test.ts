import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HALF } from '../../../src/drivers/sim/mac.js';
import { MacTable } from '../../../src/drivers/sim/mac-table.js';

test('mac table: finds every owner, the first owner of a MAC wins, others miss (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 2 ** 48 - 1 }), { maxLength: 300 }),
      fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      fc.integer({ min: 0, max: 64 }),
      (macs, probe, sized) => {
        const t = new MacTable<number>();
        t.clear(sized);
        const first = new Map<number, number>();
        macs.forEach((m, i) => {
          t.add(m, i);
          if (!first.has(m)) first.set(m, i);
        });
        for (const [m, owner] of first) assert.equal(t.get(Math.floor(m / HALF), m % HALF), owner);
        const want = first.get(probe);
        assert.equal(t.get(Math.floor(probe / HALF), probe % HALF), want);
      },
    ),
  );
});

test('mac table: owner() takes the colon form; clear() forgets everything', () => {
  const t = new MacTable<string>();
  t.add(0x020000000001, 'vf0');
  assert.equal(t.owner('02:00:00:00:00:01'), 'vf0');
  t.clear();
  assert.equal(t.owner('02:00:00:00:00:01'), undefined);
});
