/**
 * The audit log: one JSON line per policy change and guest decision — who asked, what, and
 * the answer — rotated by size (audit.log → audit.log.1 … .keep). Writes are synchronous
 * appends so the order on disk is the order of decisions and a crash loses at most the
 * line being written. Sequence numbers continue from the last entry on disk, so one
 * rotation set never holds a number twice (audit-history.ts reads it back).
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { AuditEntry } from '../model/index.js';
import { type AuditPage, auditAfter, auditBefore, lastAuditSeq } from './audit-history.js';
import type { EventBus } from './events.js';

export type AuditInput = Omit<AuditEntry, 'seq' | 'time'>;

export interface AuditOptions {
  path: string;
  maxBytes: number;
  keep: number;
}

export class AuditLog {
  private readonly opts: AuditOptions;
  private readonly bus: EventBus;
  private fd: number | null = null;
  private size = 0;
  private seq = 0;

  constructor(opts: AuditOptions, bus: EventBus) {
    this.opts = opts;
    this.bus = bus;
  }

  start(): void {
    this.seq = lastAuditSeq(this.opts.path, this.opts.keep);
    this.fd = openSync(this.opts.path, 'a+', 0o640);
    this.size = fstatSync(this.fd).size;
    // A crash mid-write leaves a line without its newline; end it, or the next entry would
    // be glued to it and lost to every reader.
    const last = Buffer.alloc(1);
    if (this.size > 0 && readSync(this.fd, last, 0, 1, this.size - 1) === 1 && last[0] !== 0x0a)
      this.size += writeSync(this.fd, '\n');
  }

  /** The sequence number of the newest entry (0: none yet). */
  get lastSeq(): number {
    return this.seq;
  }

  /** A page of history: up to `limit` entries older than `before` (null: the newest), newest first. */
  page(before: number | null, limit: number): Promise<AuditPage> {
    return auditBefore(this.opts.path, this.opts.keep, before, limit);
  }

  /** The entries newer than `after`, oldest first (at most `limit`, the newest ones). */
  since(after: number, limit: number): Promise<AuditEntry[]> {
    return auditAfter(this.opts.path, this.opts.keep, after, limit);
  }

  stop(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  record(input: AuditInput): AuditEntry {
    this.seq += 1;
    const entry: AuditEntry = { seq: this.seq, time: new Date().toISOString(), ...input };
    if (this.fd !== null) {
      const line = `${JSON.stringify(entry)}\n`;
      if (this.size + line.length > this.opts.maxBytes) this.rotate();
      this.size += writeSync(this.fd, line);
    }
    this.bus.emit({ type: 'audit', entry });
    return entry;
  }

  private rotate(): void {
    const { path, keep } = this.opts;
    if (this.fd !== null) closeSync(this.fd);
    rmSync(`${path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch {
        // a gap in the sequence is fine
      }
    }
    renameSync(path, `${path}.1`);
    this.fd = openSync(path, 'a', 0o640);
    this.size = 0;
  }
}
