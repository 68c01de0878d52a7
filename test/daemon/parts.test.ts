import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditLog } from '../../src/daemon/audit.js';
import { EventBus } from '../../src/daemon/events.js';
import { KeyedLock, LockTimeoutError } from '../../src/daemon/mutex.js';
import { RateLimiter } from '../../src/daemon/ratelimit.js';
import type { DaemonEvent } from '../../src/model/index.js';

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

test('RateLimiter: burst, then the configured rate, per key', () => {
  let now = 0;
  const rl = new RateLimiter(10, 3, () => now);
  assert.deepEqual(
    [rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')],
    [true, true, true, false],
  );
  assert.equal(rl.take('b'), true, 'another VF has its own bucket');
  now = 100; // 0.1 s at 10/s: one token
  assert.deepEqual([rl.take('a'), rl.take('a')], [true, false]);
});

test('AuditLog: JSON lines with sequence numbers, rotated by size, published on the bus', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nv-audit-'));
  try {
    const bus = new EventBus(() => {});
    const seen: DaemonEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const path = join(dir, 'audit.log');
    const audit = new AuditLog({ path, maxBytes: 4096, keep: 2 }, bus);
    audit.start();
    for (let i = 0; i < 100; i++) {
      audit.record({
        who: 'admin',
        via: 'api',
        action: 'policy.put',
        target: `vf-${i}`,
        request: { i },
        result: 'ok',
        reason: 'x'.repeat(50),
      });
    }
    audit.stop();
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['audit.log', 'audit.log.1', 'audit.log.2']);
    const last = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(last.at(-1).seq, 100);
    assert.equal(last.at(-1).target, 'vf-99');
    for (const f of files) assert.ok((await readFile(join(dir, f))).length <= 4096);
    assert.equal(seen.length, 100);
  } finally {
    await rm(dir, { recursive: true });
  }
});

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
