import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/daemon/events.js';

test('EventBus: a throwing listener does not stop the others', () => {
  const errors: unknown[] = [];
  const bus = new EventBus((e) => errors.push(e));
  let got = 0;
  bus.subscribe(() => {
    throw new Error('boom');
  });
  const off = bus.subscribe(() => {
    got += 1;
  });
  bus.emit({ type: 'stats', at: 'now' });
  off();
  bus.emit({ type: 'stats', at: 'now' });
  assert.equal(got, 1);
  assert.equal(errors.length, 2);
});
