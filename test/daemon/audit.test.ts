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
