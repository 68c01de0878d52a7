/**
 * Store figures (goal: a durable state-changing change ≥ 10,000/s with p99 ≤ 5 ms at 8 in
 * flight). The store alone, in-process, on this machine's disk: the journal with group commit
 * (`Store.setGuest`: staged, then acknowledged after the fsync it shares) against the writer it
 * replaced as the same-process baseline (one durable file write per change — temp file,
 * fsync, rename, fsync of the directory — serialised under one mutex, as the store did).
 * The ratio travels with the run; the absolute rates move with the machine's load.
 *
 * And the journal's compaction of changes of 512 VFs into their guest files: all at once
 * (FileWriter: temp files fsynced in parallel, renames, one fsync per directory) against one
 * durable file write after the other (the writer before), same run, interleaved.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileDurable } from '../src/daemon/fsutil.js';
import { type Layout, layout, vfFile } from '../src/daemon/layout.js';
import { silentLogger } from '../src/daemon/logger.js';
import { Mutex } from '../src/daemon/mutex.js';
import { Store } from '../src/daemon/store/store.js';
import { FileWriter } from '../src/daemon/store/writer.js';
import { createDriver } from '../src/drivers/registry.js';
import { emptyGuestState, type GuestState, MainConfig } from '../src/model/index.js';
import { atLeast, atMost, type Bench } from './_report.js';
import { percentile } from './_stats.js';

const VFS = 16;
const IN_FLIGHT = 8;

async function openStore(dir: string) {
  const stateDir = join(dir, 'state');
  const data = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 1, totalVfs: VFS }], demoTraffic: false },
    daemon: { stateDir },
    pfs: [{ pf: 'sim:nic0/0', numVfs: VFS }],
  };
  const main = MainConfig.parse(data);
  const l = layout(null, stateDir);
  await mkdir(l.vfsDir, { recursive: true });
  for (let v = 0; v < VFS; v++)
    await writeFile(
      join(l.vfsDir, `vf-${v}.json`),
      JSON.stringify({ name: `vf-${v}`, pf: 'sim:nic0/0', vf: v, vlans: [100], macs: [mac(v)] }),
    );
  const driver = await createDriver('sim', { config: main, stateDir: join(dir, 'driver') });
  const caps = new Map((await driver.discover()).map((p) => [p.id, p.capabilities]));
  const store = new Store(l, silentLogger(), () => caps);
  await store.open({ file: '(bench)', data });
  return { store, l, driver };
}

function mac(v: number): string {
  return `02:00:00:00:01:${v.toString(16).padStart(2, '0')}`;
}

/** n changes, IN_FLIGHT at once, round-robin over the VFs; latencies in µs, sorted. */
async function load(n: number, change: (name: string, g: GuestState) => Promise<unknown>) {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const name = `vf-${i % VFS}`;
      const g = { ...emptyGuestState(), allmulti: Math.floor(i / VFS) % 2 === 0 };
      const t = performance.now();
      await change(name, g);
      lat.push((performance.now() - t) * 1000);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { sorted: lat.sort((a, b) => a - b), perSec: n / ((performance.now() - t0) / 1000) };
}

const COMPACT_VFS = 512;

async function compaction(b: Bench, l: Layout): Promise<void> {
  await mkdir(l.guestDir, { recursive: true });
  const guests = (round: number) =>
    new Map(
      Array.from({ length: COMPACT_VFS }, (_, v) => [
        `vf-${v}`,
        { ...emptyGuestState(), allmulti: (v + round) % 2 === 0 } as GuestState,
      ]),
    );
  const json = (g: GuestState) => `${JSON.stringify(g, null, 2)}\n`;
  const writer = new FileWriter(l);
  let batched = Number.POSITIVE_INFINITY;
  let oneByOne = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    await writer.write({ policies: new Map(), guests: guests(round), committed: null });
    batched = Math.min(batched, performance.now() - t);
    t = performance.now();
    for (const [name, g] of guests(round + 1))
      await writeFileDurable(vfFile(l.guestDir, name), json(g));
    oneByOne = Math.min(oneByOne, performance.now() - t);
  }
  const what = `store: compaction of ${COMPACT_VFS} guest files`;
  const a = b.figure(`${what}, all at once`, batched, 'ms', null, 'best of 3');
  const o = b.figure(
    `${what}, one durable write after the other (before)`,
    oneByOne,
    'ms',
    null,
    'best of 3',
  );
  b.ratio(`${what}: one by one over all at once`, o, a, atLeast(2));
}

export async function run(b: Bench): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-bench-store-'));
  const { store, l, driver } = await openStore(dir);
  try {
    await load(500, (name, g) => store.setGuest(name, g)); // warm-up
    const writer = new FileWriter(l);
    const mutex = new Mutex();
    // The baseline: what the store did before the journal, on the same disk in the same run.
    const before = (name: string, g: GuestState) =>
      mutex.run(() =>
        writer.write({ policies: new Map(), guests: new Map([[name, g]]), committed: null }),
      );
    // Interleaved, best of three each: the machine is shared, and a burst of other work
    // should not decide the ratio.
    type Run = Awaited<ReturnType<typeof load>>;
    let journal: Run | null = null;
    let old: Run | null = null;
    const j0 = { ...store.journal.counts };
    for (let i = 0; i < 3; i++) {
      const j = await load(4000, (name, g) => store.setGuest(name, g));
      if (!journal || j.perSec > journal.perSec) journal = j;
      const o = await load(500, before);
      if (!old || o.perSec > old.perSec) old = o;
    }
    const records = store.journal.counts.records - j0.records;
    const fsyncs = store.journal.counts.fsyncs - j0.fsyncs;
    const what = `store: durable guest change, ${IN_FLIGHT} in flight`;
    const best = 'best of 3';
    const jn = `${what}, journal + group commit`;
    b.figure(`${jn}, p50`, percentile(journal!.sorted, 50) / 1000, 'ms', null, best);
    b.figure(`${jn}, p99`, percentile(journal!.sorted, 99) / 1000, 'ms', atMost(5), best);
    const jr = b.figure(`${jn}, rate`, journal!.perSec, 'changes/s', atLeast(10_000), best);
    b.figure(`${what}, changes per fsync`, records / Math.max(1, fsyncs), 'changes');
    const on = `${what}, one durable file write each (before)`;
    b.figure(`${on}, p99`, percentile(old!.sorted, 99) / 1000, 'ms', null, best);
    const br = b.figure(`${on}, rate`, old!.perSec, 'changes/s', null, best);
    b.ratio(`${what}: journal over the file writer`, jr, br, atLeast(5));
    await compaction(b, layout(null, join(dir, 'compaction')));
  } finally {
    await store.close();
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
