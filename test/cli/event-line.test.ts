/** `nicvisor events` prints a claim event as one line naming the claim, pool, change and owner. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventLine } from '../../src/cli/commands/events.js';

test('a claim event is one readable line', () => {
  assert.equal(
    eventLine({
      type: 'claim',
      pool: 'demo-net',
      claim: 'demo-net-1',
      change: 'claimed',
      owner: 'vm:guest1',
    }),
    'claim demo-net-1 of pool demo-net claimed (vm:guest1)',
  );
});
