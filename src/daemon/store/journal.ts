/**
 * The write-ahead journal with group commit. Writing every change as its own files costs
 * several fsyncs (temp file, rename, directory) per change, so durable acks capped near 700/s.
 * Here a change is one appended record; one fdatasync covers every record waiting at that
 * moment (group commit), and each change is acknowledged only once the fsync that covers it
 * returned. In the background the journal is compacted into the files (the per-VF policy
 * files stay the readable source of truth), then the compacted segment is removed.
 *
 * Segments are `journal/NNNNNNNN.log`. Compaction seals the current segment and opens the
 * next, so appends never wait for it; a sealed segment is deleted only after its files are
 * written durably. At start every segment is replayed into the files in order (replay is
 * idempotent: a record carries whole files), a torn tail is discarded, and the journal
 * starts empty.
 *
 * The append itself is a synchronous write (a few µs into the page cache): it keeps records
 * in call order without a queue, and a full disk (ENOSPC) is known before the change is
 * adopted, so the caller can refuse it with nothing changed.
 */
import { closeSync, fdatasync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, fsyncDir } from '../fsutil.js';
import type { Logger } from '../logger.js';
import { decodeRecords, encodeRecord, MergedBatch } from './journal-format.js';
import type { StoreWriter, WriteBatch } from './writer.js';

/** The file operations the journal uses (a seam for tests that inject faults). */
export interface JournalIo {
  writeSync(fd: number, buf: Buffer, offset: number, length: number, position: number): number;
  fdatasync(fd: number): Promise<void>;
  ftruncateSync(fd: number, len: number): void;
}

const nodeIo: JournalIo = {
  writeSync: (fd, buf, offset, length, position) => writeSync(fd, buf, offset, length, position),
  fdatasync: (fd) => new Promise((ok, fail) => fdatasync(fd, (err) => (err ? fail(err) : ok()))),
  ftruncateSync: (fd, len) => ftruncateSync(fd, len),
};

interface Segment {
  no: number;
  file: string;
  fd: number;
  /** Bytes written. */
  size: number;
  /** Bytes known to be on disk. */
  synced: number;
  /** What its durable records write, merged (compaction writes this). */
  merged: MergedBatch;
  /** Records appended and not yet settled. */
  pending: number;
}

interface Waiter {
  seg: Segment;
  end: number;
  batch: WriteBatch;
  ok: () => void;
  fail: (err: Error) => void;
}

export interface JournalOptions {
  dir: string;
  /** Where compaction (and replay) writes the files. */
  writer: StoreWriter;
  log: Logger;
  /**
   * How long after a durable record compaction starts (records arriving meanwhile join);
   * default COMPACT_DELAY_MS.
   */
  compactDelayMs?: number;
  io?: JournalIo;
}

export interface ReplayReport {
  records: number;
  segments: number;
  /** Torn tails discarded: file and bytes. */
  torn: { file: string; bytes: number }[];
}

/**
 * Told of each fsync round and compaction, for the metrics (an operator's view of group
 * commit: records per fsync, and how long the disk takes to make them durable).
 */
export interface JournalObserver {
  /**
   * An fsync round made `records` durable in `seconds` (the fsync alone; a round that spans a
   * segment sealed meanwhile fsyncs both).
   */
  round(seconds: number, records: number): void;
  /** An fsync round failed: `records` were cut off and refused. */
  failed(records: number): void;
  /** A compaction wrote the journal into the files in `seconds`. */
  compacted(seconds: number): void;
}

/** An fsync failed: the record and every later one were cut off (`generation` counts failures). */
export class JournalFailure extends Error {
  readonly generation: number;
  readonly code?: string;
  constructor(cause: Error, generation: number) {
    super(cause.message);
    this.name = 'JournalFailure';
    this.generation = generation;
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

/**
 * Compaction after guest changes waits this long, so it runs at most about once a second
 * however many acks come: each one rewrites every changed VF's files (a temp file, an fsync
 * and a rename each), and at 100 ms it was a fifth of a durable ack's CPU at 2,000 acks/s
 * (bench/daemon.ts). Nothing waits for it: the journal holds the changes durably meanwhile,
 * replay at start and `reload` compact first, and an operator's change compacts at once.
 */
const COMPACT_DELAY_MS = 1000;

/** How long an fsync round waits for the last round's callers to come back (see gather). */
const GATHER_MS = 0.3;

const segName = (no: number) => `${String(no).padStart(8, '0')}.log`;
const SEG_RE = /^(\d{8})\.log$/;

export class Journal {
  private readonly opts: JournalOptions;
  private readonly io: JournalIo;
  private seg: Segment | null = null;
  private readonly sealed: Segment[] = [];
  private seq = 0;
  private waiting: Waiter[] = [];
  private flushing: Promise<void> | null = null;
  /** Called after every fsync round (compaction waits for its segment's records). */
  private afterRound: (() => void)[] = [];
  private compacting: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private retryMs = 0;
  /** Set when the journal can no longer tell what is on disk; every append then fails. */
  private broken: Error | null = null;
  /**
   * Set by a failed fsync until the store has undone what it adopted (resume()): a change
   * staged meanwhile would be computed on top of changes that were cut off.
   */
  private halted: JournalFailure | null = null;
  private failures = 0;
  /** Figures: records and fsyncs (records per fsync is the group-commit factor). */
  readonly counts = { records: 0, fsyncs: 0, compactions: 0 };
  /** Set once by the daemon (metrics); null in tests that do not look. */
  observer: JournalObserver | null = null;

  constructor(opts: JournalOptions) {
    this.opts = opts;
    this.io = opts.io ?? nodeIo;
  }

  /** Replay what a previous run left into the files, then start an empty segment. */
  async open(): Promise<ReplayReport> {
    const { dir, writer, log } = this.opts;
    await ensureDir(dir);
    const nos = (await readdir(dir))
      .map((f) => SEG_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const report: ReplayReport = { records: 0, segments: nos.length, torn: [] };
    const merged = new MergedBatch();
    for (const no of nos) {
      const file = join(dir, segName(no));
      const d = decodeRecords(await readFile(file));
      if (d.torn > 0) {
        report.torn.push({ file, bytes: d.torn });
        log.warn(
          { file, offset: d.good, bytes: d.torn },
          'discarded a torn journal tail (a change interrupted before it was acknowledged)',
        );
      }
      for (const r of d.records) {
        merged.add(r.batch);
        this.seq = Math.max(this.seq, r.seq);
      }
    }
    report.records = merged.count;
    if (merged.count > 0) await writer.write(merged);
    for (const no of nos) await unlink(join(dir, segName(no)));
    if (nos.length > 0) await fsyncDir(dir);
    this.seg = await this.openSegment((nos.at(-1) ?? 0) + 1);
    return report;
  }

  private async openSegment(no: number): Promise<Segment> {
    const file = join(this.opts.dir, segName(no));
    const fd = openSync(file, 'wx', 0o640);
    // The new entry must be on disk before any record in it is acknowledged.
    await fsyncDir(this.opts.dir);
    return { no, file, fd, size: 0, synced: 0, merged: new MergedBatch(), pending: 0 };
  }

  /**
   * Append a change. Throws (with nothing written) when the record cannot be written, e.g.
   * ENOSPC; else returns a promise that settles when the record is durable, or fails when
   * its fsync did (the record is then cut off again).
   */
  append(batch: WriteBatch): Promise<void> {
    if (this.broken) throw this.broken;
    if (this.halted) throw this.halted;
    const seg = this.seg;
    if (!seg) throw new Error('journal is not open');
    const buf = encodeRecord(this.seq + 1, batch);
    try {
      let done = 0;
      while (done < buf.length)
        done += this.io.writeSync(seg.fd, buf, done, buf.length - done, seg.size + done);
    } catch (err) {
      this.cut(seg, seg.size);
      throw err;
    }
    this.seq += 1;
    seg.size += buf.length;
    this.counts.records += 1;
    seg.pending += 1;
    return new Promise<void>((ok, fail) => {
      this.waiting.push({ seg, end: seg.size, batch, ok, fail });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Cut a segment back to `len` bytes; when even that fails, nothing more is appended. */
  private cut(seg: Segment, len: number): void {
    try {
      this.io.ftruncateSync(seg.fd, len);
      seg.size = len;
    } catch (err) {
      this.broken = new Error(
        `the journal ${seg.file} could not be cut back after a failed write (${(err as Error).message}); restart the daemon`,
      );
      this.opts.log.error({ err, file: seg.file }, this.broken.message);
    }
  }

  /** One fdatasync per round for every record waiting when it starts. */
  private async flushLoop(): Promise<void> {
    // `flushing` is cleared synchronously when the loop sees nothing waiting: a `.finally`
    // would clear it a tick late, after an append that had counted on this loop.
    let last = 0;
    for (;;) {
      await this.gather(last);
      if (this.waiting.length === 0) {
        this.flushing = null;
        return;
      }
      const group = this.waiting;
      this.waiting = [];
      last = group.length;
      const segs = [...new Set(group.map((w) => w.seg))];
      const t0 = performance.now();
      try {
        for (const s of segs) await this.io.fdatasync(s.fd);
        this.counts.fsyncs += 1;
      } catch (err) {
        const refused = group.length + this.waiting.length;
        this.failAll(group, segs, err as Error);
        this.roundDone();
        this.tell((o) => o.failed(refused));
        continue;
      }
      // Outside the try: a fault of the observer is not a failed fsync.
      this.tell((o) => o.round((performance.now() - t0) / 1000, group.length));
      for (const w of group) {
        w.seg.synced = Math.max(w.seg.synced, w.end);
        w.seg.merged.add(w.batch);
        w.seg.pending -= 1;
      }
      for (const w of group) w.ok();
      this.roundDone();
      this.scheduleCompaction();
    }
  }

  /**
   * Before an fsync round, give the callers the last round answered a moment to stage their
   * next change, so they join this fsync instead of forming a second cohort that alternates
   * with it (cohorts of 1 and 7 halve what one fsync carries). Each turn of the event loop
   * reads new requests; it waits at most GATHER_MS, and not at all after a round of one.
   */
  private async gather(last: number): Promise<void> {
    if (last === 0) return;
    const until = performance.now() + GATHER_MS;
    do await new Promise<void>((r) => setImmediate(r));
    while (this.waiting.length < last && last > 1 && performance.now() < until);
  }

  private roundDone(): void {
    const calls = this.afterRound;
    this.afterRound = [];
    for (const c of calls) c();
  }

  /** An fsync failed: its records, and every later one, are cut off and failed. */
  private failAll(group: Waiter[], segs: Segment[], cause: Error): void {
    this.failures += 1;
    const err = new JournalFailure(cause, this.failures);
    this.halted = err;
    const later = this.waiting;
    this.waiting = [];
    const all = [...group, ...later];
    for (const s of new Set([...segs, ...later.map((w) => w.seg)])) this.cut(s, s.synced);
    this.opts.log.error({ err, records: all.length }, 'journal fsync failed; changes not written');
    for (const w of all) {
      w.seg.pending -= 1;
      w.fail(err);
    }
  }

  /** Take changes again after a failed fsync (the caller undid what it had adopted). */
  resume(): void {
    this.halted = null;
  }

  private scheduleCompaction(delayMs = this.opts.compactDelayMs ?? COMPACT_DELAY_MS): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.compact().catch(() => {});
    }, delayMs);
    this.timer.unref();
  }

  /**
   * Write every durable record into the files and drop the segments that held them. After
   * it resolves the files hold every change acknowledged before the call.
   */
  compact(): Promise<void> {
    const run = this.compacting.then(() => this.compactOnce());
    this.compacting = run.then(
      () => {
        this.retryMs = 0;
      },
      (err) => {
        // Backing off: a full disk would otherwise log ten times a second.
        this.retryMs = Math.min(Math.max(2 * this.retryMs, 200), 10_000);
        this.opts.log.error(
          { err, retryMs: this.retryMs },
          'writing the journal into the files failed; the journal keeps the changes, retrying',
        );
        this.scheduleCompaction(this.retryMs);
      },
    );
    return run;
  }

  private async compactOnce(): Promise<void> {
    const seg = this.seg;
    if (seg && seg.size > 0) {
      // Seal the segment: new records go to the next one while this one is written out.
      this.seg = await this.openSegment(seg.no + 1);
      this.sealed.push(seg);
    }
    // Records of the sealed segments still waiting for an fsync round must settle first
    // (waiting for the flush loop to go idle could starve under steady load).
    while (this.sealed.some((s) => s.pending > 0))
      await new Promise<void>((r) => this.afterRound.push(r));
    if (this.sealed.length === 0) return;
    const t0 = performance.now();
    const merged = new MergedBatch();
    for (const s of this.sealed) merged.add(s.merged);
    if (merged.count > 0) await this.opts.writer.write(merged);
    for (const s of this.sealed.splice(0)) {
      closeSync(s.fd);
      await unlink(s.file);
    }
    await fsyncDir(this.opts.dir);
    this.counts.compactions += 1;
    this.tell((o) => o.compacted((performance.now() - t0) / 1000));
  }

  /** Tell the observer; a fault of its own is logged, never the journal's. */
  private tell(what: (o: JournalObserver) => void): void {
    if (!this.observer) return;
    try {
      what(this.observer);
    } catch (err) {
      this.opts.log.warn({ err }, 'the journal observer (metrics) failed');
    }
  }

  /** Let every waiting record settle, compact, and close (a clean stop leaves no journal). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.flushing) await this.flushing;
    // A failed compaction (a full disk) keeps the segments: they are replayed at start.
    if (!this.broken) await this.compact().catch(() => {});
    const seg = this.seg;
    this.seg = null;
    if (!seg) return;
    closeSync(seg.fd);
    if (seg.size === 0 && this.sealed.length === 0) {
      await unlink(seg.file);
      await fsyncDir(this.opts.dir);
    }
  }
}
