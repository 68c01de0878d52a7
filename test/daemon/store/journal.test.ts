import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Layout, layout } from '../../../src/daemon/layout.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Journal, JournalFailure, type JournalIo } from '../../../src/daemon/store/journal.js';
import { decodeRecords, encodeRecord } from '../../../src/daemon/store/journal-format.js';
import { FileWriter, type WriteBatch } from '../../../src/daemon/store/writer.js';
import { type GuestState, VfPolicy } from '../../../src/model/index.js';

async function tmpLayout(): Promise<Layout> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-journal-'));
  const l = layout(null, dir);
  for (const d of [l.vfsDir, l.guestDir]) await mkdir(d, { recursive: true });
  return l;
}

function policy(name: string, vf: number, vlan: number): VfPolicy {
  return VfPolicy.parse({
    name,
    pf: 'sim:nic0/0',
    vf,
    vlans: [vlan],
    macs: [`02:00:00:00:00:${vf.toString(16).padStart(2, '0')}`],
  });
}

function batch(
  policies: [string, VfPolicy | null][],
  guests: [string, unknown][] = [],
): WriteBatch {
  return {
    policies: new Map(policies),
    guests: new Map(guests as [string, GuestState | null][]),
    committed: null,
  };
}

async function vfsOnDisk(l: Layout): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const f of (await readdir(l.vfsDir).catch(() => [] as string[])).sort())
    if (f.endsWith('.json'))
      out[f.slice(0, -5)] = JSON.parse(await readFile(join(l.vfsDir, f), 'utf8')).vlans;
  return out;
}

const segments = async (l: Layout) =>
  (await readdir(l.journalDir)).filter((f) => f.endsWith('.log')).sort();

/** What the journal tells its observer (the daemon's metrics). */
function observe(j: Journal) {
  const seen = { rounds: [] as { seconds: number; records: number }[], failed: 0, compactions: 0 };
  j.observer = {
    round: (seconds, records) => seen.rounds.push({ seconds, records }),
    failed: (records) => {
      seen.failed += records;
    },
    compacted: () => {
      seen.compactions += 1;
    },
  };
  return seen;
}

function journal(l: Layout, io?: JournalIo): Journal {
  return new Journal({
    dir: l.journalDir,
    writer: new FileWriter(l),
    log: silentLogger(),
    compactDelayMs: 60_000,
    io,
  });
}

test('group commit: changes waiting together share one fsync, each settles once durable', async () => {
  const l = await tmpLayout();
  try {
    const j = journal(l);
    const seen = observe(j);
    await j.open();
    const acks = Array.from({ length: 50 }, (_, i) =>
      j.append(batch([[`v${i}`, policy(`v${i}`, i, 10)]])),
    );
    await Promise.all(acks);
    assert.equal(j.counts.records, 50);
    // All 50 were staged in one turn of the event loop: one fsync covers them.
    assert.equal(j.counts.fsyncs, 1);
    await Promise.all([1, 2, 3].map((i) => j.append(batch([[`w${i}`, policy(`w${i}`, i, 10)]]))));
    assert.equal(j.counts.fsyncs, 2);
    assert.deepEqual(
      seen.rounds.map((r) => r.records),
      [50, 3],
      'the observer is told of each fsync round and the records it made durable',
    );
    assert.ok(seen.rounds.every((r) => r.seconds >= 0 && r.seconds < 60));
    const [seg] = await segments(l);
    const d = decodeRecords(await readFile(join(l.journalDir, seg)));
    assert.equal(d.records.length, 53);
    assert.equal(d.torn, 0);
    assert.deepEqual(await vfsOnDisk(l), {}, 'nothing is in the files before compaction');
    await j.compact();
    assert.equal(Object.keys(await vfsOnDisk(l)).length, 53);
    assert.equal(seen.compactions, 1);
    await j.close();
    assert.deepEqual(await segments(l), [], 'a clean stop leaves no journal behind');
  } finally {
    await rm(l.stateDir, { recursive: true, force: true });
  }
});

test('a torn tail is detected and discarded at start; whole records are replayed into the files', async () => {
  const l = await tmpLayout();
  try {
    const j = journal(l);
    await j.open();
    await j.append(batch([['a', policy('a', 0, 10)]]));
    await j.append(
      batch([
        ['a', policy('a', 0, 11)],
        ['b', policy('b', 1, 20)],
      ]),
    );
    const [seg] = await segments(l);
    // A crash in the middle of the third append: half a record after the two whole ones.
    const third = encodeRecord(3, batch([['c', policy('c', 2, 30)]]));
    await appendFile(join(l.journalDir, seg), third.subarray(0, third.length - 7));
    const warnings: string[] = [];
    const log = silentLogger();
    log.warn = ((o: unknown, m: string) => warnings.push(`${m} ${JSON.stringify(o)}`)) as never;
    const j2 = new Journal({ dir: l.journalDir, writer: new FileWriter(l), log });
    const r = await j2.open();
    assert.equal(r.records, 2);
    assert.deepEqual(
      r.torn.map((t) => t.bytes),
      [third.length - 7],
    );
    assert.ok(
      warnings.some((w) => w.includes('torn journal tail')),
      warnings.join('\n'),
    );
    assert.deepEqual(await vfsOnDisk(l), { a: [11], b: [20] });
    assert.deepEqual(await segments(l), ['00000002.log'], 'replayed segments are removed');
    await j2.close();
  } finally {
    await rm(l.stateDir, { recursive: true, force: true });
  }
});

test('a change of many VFs is replayed whole or not at all, wherever the journal is cut', async () => {
  const l = await tmpLayout();
  try {
    const j = journal(l);
    await j.open();
    await j.append(batch([['a', policy('a', 0, 10)]]));
    const many = batch([
      ['a', policy('a', 0, 11)],
      ['b', policy('b', 1, 21)],
      ['c', policy('c', 2, 31)],
    ]);
    await j.append(many);
    const [seg] = await segments(l);
    const bytes = await readFile(join(l.journalDir, seg));
    const first =
      decodeRecords(bytes).records.length === 2 ? bytes.length - encodeRecord(2, many).length : 0;
    assert.ok(first > 0);
    const seen = new Set<string>();
    // Every cut inside the second record (and a flipped byte in it) leaves the first only.
    for (let cut = first; cut <= bytes.length; cut += 1) {
      const d = decodeRecords(bytes.subarray(0, cut));
      const names = new Set(d.records.flatMap((r) => [...r.batch.policies.keys()]));
      seen.add(d.records.length === 2 ? 'all' : [...names].join(','));
      assert.ok(d.records.length === 1 || cut === bytes.length, `cut at ${cut}`);
    }
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 3] ^= 0x20;
    assert.equal(decodeRecords(flipped).records.length, 1, 'a checksum mismatch ends the journal');
    assert.deepEqual([...seen].sort(), ['a', 'all']);
    // A real cut on disk, replayed by the next start: the old `a`, no `b` or `c`.
    await j.close().catch(() => {});
    await rm(l.vfsDir, { recursive: true, force: true });
    await mkdir(l.vfsDir);
    await writeFile(join(l.journalDir, seg), bytes.subarray(0, bytes.length - 1));
    const j2 = journal(l);
    await j2.open();
    assert.deepEqual(await vfsOnDisk(l), { a: [10] });
    await j2.close();
  } finally {
    await rm(l.stateDir, { recursive: true, force: true });
  }
});

test('a full disk refuses the append with nothing left in the journal; a failed fsync cuts off every later record', async () => {
  const l = await tmpLayout();
  const fault = { enospc: false, failSync: false };
  const io: JournalIo = {
    writeSync(fd, buf, offset, length, position) {
      if (fault.enospc) {
        // Half the record reaches the file, then the disk is full (as write(2) does).
        const half = Math.max(1, Math.floor(length / 2));
        fs.writeSync(fd, buf, offset, half, position);
        fault.enospc = false;
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      }
      return fs.writeSync(fd, buf, offset, length, position);
    },
    fdatasync: (fd) =>
      fault.failSync
        ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
        : new Promise((ok, fail) => fs.fdatasync(fd, (e) => (e ? fail(e) : ok()))),
    ftruncateSync: (fd, len) => fs.ftruncateSync(fd, len),
  };
  try {
    const j = journal(l, io);
    const seen = observe(j);
    await j.open();
    await j.append(batch([['a', policy('a', 0, 10)]]));
    const [seg] = await segments(l);
    const size = (await readFile(join(l.journalDir, seg))).length;
    fault.enospc = true;
    assert.throws(() => j.append(batch([['b', policy('b', 1, 20)]])), /ENOSPC/);
    assert.equal(
      (await readFile(join(l.journalDir, seg))).length,
      size,
      'the half record is cut off',
    );
    await j.append(batch([['c', policy('c', 2, 30)]]));
    fault.failSync = true;
    const d1 = j.append(batch([['d', policy('d', 3, 40)]]));
    const d2 = j.append(batch([['e', policy('e', 4, 50)]]));
    const [r1, r2] = await Promise.allSettled([d1, d2]);
    assert.equal(r1.status, 'rejected');
    assert.equal(r2.status, 'rejected');
    assert.ok((r1 as PromiseRejectedResult).reason instanceof JournalFailure);
    assert.equal(seen.failed, 2, 'both records the failed fsync covered are counted');
    assert.deepEqual(
      seen.rounds.map((r) => r.records),
      [1, 1],
      'a failed round is not a durable one',
    );
    // Until the caller has undone what it adopted, nothing more is taken.
    fault.failSync = false;
    assert.throws(() => j.append(batch([['f', policy('f', 5, 60)]])), JournalFailure);
    j.resume();
    await j.append(batch([['g', policy('g', 6, 70)]]));
    const d = decodeRecords(await readFile(join(l.journalDir, seg)));
    assert.deepEqual(
      d.records.map((r) => [...r.batch.policies.keys()].join()),
      ['a', 'c', 'g'],
    );
    assert.equal(d.torn, 0);
    await j.close();
    assert.deepEqual(await vfsOnDisk(l), { a: [10], c: [30], g: [70] });
  } finally {
    await rm(l.stateDir, { recursive: true, force: true });
  }
});

test('compaction runs while changes keep arriving: nothing acknowledged is missed', async () => {
  const l = await tmpLayout();
  try {
    const j = journal(l);
    await j.open();
    const acked = new Map<string, number>();
    const writes: Promise<void>[] = [];
    const compactions: Promise<void>[] = [];
    for (let c = 0; c < 6; c++) {
      const chunk: Promise<void>[] = [];
      for (let k = 0; k < 50; k++) {
        const i = c * 50 + k;
        const name = `v${i % 7}`;
        const vlan = 100 + i;
        chunk.push(
          j
            .append(batch([[name, policy(name, i % 7, vlan)]]))
            .then(() => void acked.set(name, vlan)),
        );
      }
      writes.push(...chunk);
      // Half the compactions start with the chunk still in its fsync and run while the next
      // chunk arrives; half after it is durable (each of those seals a segment of its own).
      if (c % 2 === 0) {
        await Promise.all(chunk);
        await j.compact();
      } else compactions.push(j.compact());
    }
    await Promise.all(writes);
    await Promise.all(compactions);
    await j.compact();
    assert.ok(j.counts.compactions >= 3, `${j.counts.compactions} compactions`);
    const disk = await vfsOnDisk(l);
    assert.deepEqual(disk, Object.fromEntries([...acked].sort().map(([k, v]) => [k, [v]])));
    await j.close();
    assert.deepEqual(await segments(l), []);
  } finally {
    await rm(l.stateDir, { recursive: true, force: true });
  }
});

test('a fault of the observer (the metrics) is not a failed fsync: the change is still acknowledged', async () => {
  const l = await tmpLayout();
  try {
    const j = journal(l);
    j.observer = {
      round: () => {
        throw new Error('metrics broke');
      },
      failed: () => {},
      compacted: () => {
        throw new Error('metrics broke');
      },
    };
    await j.open();
    await j.append(batch([['a', policy('a', 0, 10)]]));
    await j.append(batch([['b', policy('b', 1, 20)]]));
    assert.equal(j.counts.fsyncs, 2);
    await j.compact();
    await j.close();
    assert.deepEqual(await vfsOnDisk(l), { a: [10], b: [20] });
  } finally {
    await rm(l.stateDir, { recursive: true, force: true });
  }
});
