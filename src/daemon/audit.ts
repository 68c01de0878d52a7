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

/** An audit line longer than this keeps its decision but not its request. */
const MAX_LINE = 64 * 1024;

function serialise(entry: AuditEntry): string | null {
  try {
    return `${JSON.stringify(entry)}\n`;
  } catch {
    // A cycle, a BigInt, or nesting deep enough to overflow the stack.
    return null;
  }
}

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

  private readonly onError: (err: Error, entry: AuditEntry) => void;

  constructor(
    opts: AuditOptions,
    bus: EventBus,
    onError: (err: Error, entry: AuditEntry) => void = () => {},
  ) {
    this.opts = opts;
    this.bus = bus;
    this.onError = onError;
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

  /**
   * Record a decision. Never throws: the answer to a request is decided before it is
   * audited, and a full disk (or a request that cannot be serialised) must not turn a 422
   * into a 500. A failed write is reported through `onError`.
   */
  record(input: AuditInput): AuditEntry {
    this.seq += 1;
    let entry: AuditEntry = { seq: this.seq, time: new Date().toISOString(), ...input };
    let line = serialise(entry);
    if (line === null || line.length > MAX_LINE) {
      // The request is what can be huge or hostile; the decision and its reason stay.
      const why = line === null ? 'not serialisable' : `${line.length} characters`;
      entry = { ...entry, request: { omitted: why } };
      line = serialise(entry) ?? `${JSON.stringify({ seq: entry.seq, time: entry.time })}\n`;
    }
    if (this.fd !== null) {
      try {
        if (this.size + line.length > this.opts.maxBytes) this.rotate();
        if (this.fd !== null) this.size += writeSync(this.fd, line);
      } catch (err) {
        this.onError(err as Error, entry);
      }
    }
    this.bus.emit({ type: 'audit', entry });
    return entry;
  }

  private rotate(): void {
    const { path, keep } = this.opts;
    if (this.fd !== null) closeSync(this.fd);
    // Never left holding a closed descriptor: a failed rename below reopens the old file.
    this.fd = null;
    try {
      this.shift(path, keep);
    } finally {
      this.fd = openSync(path, 'a', 0o640);
      this.size = fstatSync(this.fd).size;
    }
  }

  private shift(path: string, keep: number): void {
    rmSync(`${path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch {
        // a gap in the sequence is fine
      }
    }
    renameSync(path, `${path}.1`);
  }
}
