import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditLog } from '../../src/daemon/audit.js';
import { EventBus } from '../../src/daemon/events.js';
import type { DaemonEvent } from '../../src/model/index.js';

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

test('AuditLog: a request it cannot serialise or that is huge keeps the decision, not the request', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nv-audit-'));
  try {
    const path = join(dir, 'audit.log');
    const failures: string[] = [];
    const audit = new AuditLog({ path, maxBytes: 1 << 20, keep: 2 }, new EventBus(() => {}), (e) =>
      failures.push(e.message),
    );
    audit.start();
    const base = {
      who: 't',
      via: 'api',
      action: 'policy.put',
      target: 'x',
      result: 'refused',
    } as const;
    let deep: unknown = 1;
    for (let i = 0; i < 30_000; i++) deep = [deep];
    audit.record({ ...base, request: deep, reason: 'too deep' });
    audit.record({ ...base, request: { big: 'x'.repeat(200_000) }, reason: 'too big' });
    audit.record({ ...base, request: { n: 1n }, reason: 'bigint' });
    audit.stop();
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.reason, l.result, Object.keys(l.request)]),
      [
        ['too deep', 'refused', ['omitted']],
        ['too big', 'refused', ['omitted']],
        ['bigint', 'refused', ['omitted']],
      ],
    );
    assert.deepEqual(failures, []);
    // A write that fails is reported, never thrown.
    const reported: string[] = [];
    const full = new AuditLog(
      { path: '/dev/full', maxBytes: 1 << 20, keep: 2 },
      new EventBus(() => {}),
      (e) => reported.push((e as NodeJS.ErrnoException).code ?? e.message),
    );
    full.start();
    full.record({ ...base, request: null, reason: 'disk full' });
    full.stop();
    assert.deepEqual(reported, ['ENOSPC']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
