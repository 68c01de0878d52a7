import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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

function entry(i: number) {
  return {
    who: 'admin',
    via: 'api' as const,
    action: 'policy.put' as const,
    target: `vf-${i}`,
    request: { i },
    result: 'ok' as const,
    reason: 'y'.repeat(40),
  };
}

test('AuditLog: seq continues from the last entry on disk, across rotated files and a torn line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nv-audit-'));
  try {
    const path = join(dir, 'audit.log');
    const opts = { path, maxBytes: 4096, keep: 3 };
    const first = new AuditLog(opts, new EventBus(() => {}));
    first.start();
    for (let i = 0; i < 60; i++) first.record(entry(i));
    first.stop();
    // A crash while writing leaves half a line behind: it is skipped, not a number.
    await appendFile(path, '{"seq":999,"time":"2026');
    const second = new AuditLog(opts, new EventBus(() => {}));
    second.start();
    assert.equal(second.lastSeq, 60);
    assert.equal(second.record(entry(60)).seq, 61);
    second.stop();
    // Right after a rotation the live file is empty: the number comes from audit.log.1.
    await rename(path, `${path}.1`);
    await writeFile(path, '');
    const third = new AuditLog(opts, new EventBus(() => {}));
    third.start();
    assert.equal(third.lastSeq, 61);
    third.stop();
    const fresh = new AuditLog({ ...opts, path: join(dir, 'none.log') }, new EventBus(() => {}));
    fresh.start();
    assert.equal(fresh.record(entry(0)).seq, 1);
    fresh.stop();
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('AuditLog: history pages newest first through rotated files; since() replays in order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nv-audit-'));
  try {
    const path = join(dir, 'audit.log');
    const audit = new AuditLog({ path, maxBytes: 4096, keep: 5 }, new EventBus(() => {}));
    audit.start();
    for (let i = 0; i < 100; i++) audit.record(entry(i));
    audit.flush();
    assert.ok((await readdir(dir)).length >= 3, 'the history spans rotated files');
    const seqs: number[] = [];
    let before: number | null = null;
    let pages = 0;
    do {
      const page = await audit.page(before, 30);
      assert.ok(page.entries.length <= 30);
      seqs.push(...page.entries.map((e) => e.seq));
      before = page.next;
      pages += 1;
    } while (before !== null);
    assert.equal(pages, Math.ceil(seqs.length / 30));
    const oldest = seqs.at(-1) as number;
    assert.deepEqual(
      seqs,
      Array.from({ length: 100 - oldest + 1 }, (_, i) => 100 - i),
      'every entry the files keep, once, newest first',
    );
    const after = await audit.since(90, 1000);
    assert.deepEqual(
      after.map((e) => e.seq),
      [91, 92, 93, 94, 95, 96, 97, 98, 99, 100],
    );
    assert.equal(after[0].target, 'vf-90');
    assert.deepEqual(await audit.since(100, 10), []);
    assert.deepEqual(
      (await audit.since(0, 3)).map((e) => e.seq),
      [98, 99, 100],
      'a capped replay keeps the newest',
    );
    audit.stop();
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('AuditLog: the lines of one turn are written together when it ends, in order; reads and stop see them first', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nv-audit-'));
  try {
    const path = join(dir, 'audit.log');
    const audit = new AuditLog({ path, maxBytes: 1 << 20, keep: 2 }, new EventBus(() => {}));
    audit.start();
    for (let i = 0; i < 5; i++) audit.record(entry(i));
    assert.equal(readFileSync(path, 'utf8'), '', 'nothing written during the turn');
    await new Promise((r) => setImmediate(r));
    const seqs = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).seq as number);
    assert.deepEqual(seqs(await readFile(path, 'utf8')), [1, 2, 3, 4, 5]);
    audit.record(entry(5));
    assert.deepEqual(
      (await audit.page(null, 1)).entries.map((e) => e.seq),
      [6],
      'a read of the history writes the pending lines first',
    );
    audit.record(entry(6));
    audit.stop();
    assert.deepEqual(seqs(await readFile(path, 'utf8')), [1, 2, 3, 4, 5, 6, 7], 'stop writes them');
  } finally {
    await rm(dir, { recursive: true });
  }
});
