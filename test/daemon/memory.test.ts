import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { IdleSettle, settleMemory } from '../../src/daemon/memory.js';

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../cli/main.js');

test('settleMemory collects what nothing holds, and leaves no gc() in the global scope', async () => {
  let garbage: object | null = { big: new Array(10_000).fill('x') };
  const ref = new WeakRef(garbage);
  garbage = null;
  // A WeakRef's target lives to the end of the job that made it.
  await new Promise((r) => setImmediate(r));
  const r = settleMemory();
  assert.equal(ref.deref(), undefined, 'the unreachable object is collected');
  assert.ok(r.rssBefore > 0 && r.rssAfter > 0);
  assert.equal((globalThis as { gc?: unknown }).gc, undefined);
});

test("the launcher's first line starts node with a capped young generation, sized for memory", async () => {
  const first = (await readFile(MAIN, 'utf8')).split('\n')[0];
  const m = /^#!(\/usr\/bin\/env) -S (.*)$/.exec(first);
  assert.ok(m, `first line of ${MAIN}: ${first}`);
  const words = m[2].split(' ');
  assert.equal(words[0], 'node');
  assert.ok(words.includes('--max-semi-space-size=1'), first);
  assert.ok(words.includes('--optimize-for-size'), first);
  assert.ok(words.includes('--single-threaded-gc'), first);
  // What the kernel runs for /usr/bin/nicvisor: env splits the line; node accepts the flag.
  const { stdout } = await promisify(execFile)(m[1], ['-S', m[2], MAIN, '--version']);
  assert.match(stdout, /^\d+\.\d+\.\d+/);
});

test('IdleSettle: settles once on the first quiet interval after a busy one', () => {
  const idle = new IdleSettle(0.15, 0.05);
  const feed = (us: number[]) => us.map((u) => idle.interval(u) !== null);
  assert.deepEqual(
    feed([0.01, 0.02, 0.01]),
    [false, false, false],
    'never busy: nothing to give back',
  );
  assert.deepEqual(feed([0.5, 0.9, 0.1, 0.01, 0.01]), [false, false, false, true, false]);
  assert.deepEqual(feed([0.2, 0.03]), [false, true], 'each busy stretch once');
  assert.deepEqual(feed([0.1, 0.04]), [false, false], 'moderate work is not a stretch');
});

test('IdleSettle: settles a quiet daemon whose heap has grown since the last settle', () => {
  const MiB = 2 ** 20;
  const idle = new IdleSettle(0.15, 0.05, 3 * MiB, 1);
  assert.equal(idle.interval(0.01, 50 * MiB), null, 'no settle yet: no baseline to grow from');
  idle.settled(20 * MiB);
  assert.equal(idle.interval(0.01, 22 * MiB), null, 'grown less than 3 MiB');
  assert.equal(idle.interval(0.1, 24 * MiB), null, 'grown, but not quiet');
  assert.equal(idle.interval(0.01, 23 * MiB), 'growth');
  idle.settled(21 * MiB);
  assert.equal(idle.interval(0.01, 23 * MiB), null, 'counted from what the settle left');
  assert.equal(idle.interval(0.5, 23 * MiB), null);
  assert.equal(idle.interval(0.01, 23 * MiB), 'busy', 'a busy stretch ended: settles either way');
});

test('IdleSettle: growth settles come at most once every growthGap intervals; busy ones at once', () => {
  const MiB = 2 ** 20;
  const idle = new IdleSettle(0.15, 0.05, 4 * MiB, 5);
  idle.settled(20 * MiB);
  // Plain node: the young generation's garbage alone passes 4 MiB between two intervals.
  const grown = [1, 2, 3, 4].map(() => idle.interval(0.01, 30 * MiB));
  assert.deepEqual(grown, [null, null, null, null], 'within the gap');
  assert.equal(idle.interval(0.01, 30 * MiB), 'growth', 'the fifth interval');
  idle.settled(20 * MiB);
  assert.equal(idle.interval(0.5, 30 * MiB), null);
  assert.equal(idle.interval(0.01, 30 * MiB), 'busy', 'a busy stretch is not held by the gap');
});
