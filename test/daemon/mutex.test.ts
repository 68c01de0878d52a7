import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedLock, LockTimeoutError } from '../../src/daemon/mutex.js';

test('KeyedLock: one owner per key, other keys proceed, a waiter times out', async () => {
  const lock = new KeyedLock(50);
  const order: string[] = [];
  let release!: () => void;
  const held = lock.run(
    ['vf:a'],
    () =>
      new Promise<void>((r) => {
        order.push('a1 start');
        release = r;
      }),
  );
  await lock.run(['vf:b'], async () => {
    order.push('b');
  });
  await assert.rejects(
    lock.run(['vf:a'], async () => order.push('never')),
    LockTimeoutError,
  );
  const next = lock.run(['vf:a', 'vf:b'], async () => {
    order.push('a2');
  });
  release();
  await held;
  await next;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a1 start', 'b', 'a2']);
  assert.equal(lock.size, 0, 'no entries left behind');
});

test('KeyedLock: after a waiter timed out, the next caller still waits for the holder', async () => {
  const lock = new KeyedLock(30);
  let release!: () => void;
  let holding = true;
  const held = lock.run(
    ['vf:a'],
    () =>
      new Promise<void>((r) => {
        release = () => {
          holding = false;
          r();
        };
      }),
  );
  await assert.rejects(
    lock.run(['vf:a'], async () => {}),
    LockTimeoutError,
  );
  let sawHolder: boolean | null = null;
  const next = lock.run(['vf:a'], async () => {
    sawHolder = holding;
  });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(sawHolder, null, 'the next caller waits while the first still holds the key');
  release();
  await held;
  await next;
  assert.equal(sawHolder, false);
  await new Promise((r) => setImmediate(r));
  assert.equal(lock.size, 0, 'no entries left behind');
});
