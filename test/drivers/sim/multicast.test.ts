import assert from 'node:assert/strict';
import { test } from 'node:test';
import { macToNum } from '../../../src/drivers/sim/mac.js';
import { MulticastTable, mtaHash } from '../../../src/drivers/sim/multicast.js';

const lo = (mac: string) => macToNum(mac) % 0x1000000;

test('multicast: the MTA hash is address bits [47:36] (e1000 filter type 0)', () => {
  // The e1000 drivers' own example: 01:AA:00:12:34:56 hashes to 0x563.
  assert.equal(mtaHash(lo('01:aa:00:12:34:56')), 0x563);
  assert.equal(mtaHash(lo('01:00:5e:00:00:fb')), 0xfb0);
  assert.equal(mtaHash(lo('33:33:00:00:00:01')), 0x010);
});

test('multicast: the table holds the hash bits of every list, and nothing else', () => {
  const t = new MulticastTable();
  t.rebuild([[macToNum('01:00:5e:00:00:fb')], [], [macToNum('33:33:00:00:00:01')]]);
  assert.equal(t.hasMac(macToNum('01:00:5e:00:00:fb')), true);
  assert.equal(t.hasMac(macToNum('33:33:00:00:00:01')), true);
  assert.equal(t.hasMac(macToNum('01:00:5e:7f:00:fb')), true, 'same bits [47:36]: a collision');
  assert.equal(t.hasMac(macToNum('01:00:5e:00:00:fc')), false);
  t.rebuild([]);
  assert.equal(t.hasMac(macToNum('01:00:5e:00:00:fb')), false, 'a rebuild starts empty');
});
