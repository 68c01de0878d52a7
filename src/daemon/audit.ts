/**
 * The audit log: one JSON line per policy change and guest decision — who asked, what, and
 * the answer — rotated by size (audit.log → audit.log.1 … .keep). The lines of one turn of
 * the event loop are appended together, in order, by one synchronous write when the turn
 * ends (setImmediate), and before any read of the history and at stop: at 8 guest requests
 * in flight a write per line was ~9 % of a decision's CPU (bench/daemon.ts, CPU profile).
 * So the order on disk is the order of decisions, and a crash (SIGKILL) loses at most the
 * lines of the turn it interrupts — whose answers may have been sent. The log is never
 * fsynced, so it was never a durable record; the guest state and policies are (store/).
 * Sequence numbers continue from the last entry on disk, so one rotation set never holds a
 * number twice (audit-history.ts reads it back).
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
  /** Lines recorded this turn and not written yet, with their entries (for onError). */
  private pending: { line: string; entry: AuditEntry }[] = [];
  private flushAt: NodeJS.Immediate | null = null;

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
    this.flush();
    return auditBefore(this.opts.path, this.opts.keep, before, limit);
  }

  /** The entries newer than `after`, oldest first (at most `limit`, the newest ones). */
  since(after: number, limit: number): Promise<AuditEntry[]> {
    this.flush();
    return auditAfter(this.opts.path, this.opts.keep, after, limit);
  }

  stop(): void {
    this.flush();
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
      this.pending.push({ line, entry });
      this.flushAt ??= setImmediate(this.flushTurn);
    }
    this.bus.emit({ type: 'audit', entry });
    return entry;
  }

  private readonly flushTurn = (): void => {
    this.flushAt = null;
    this.flush();
  };

  /**
   * Write every pending line: runs of lines in one write each, rotating before a line that
   * would take the file past maxBytes. A failed write reports each of its lines' entries.
   */
  flush(): void {
    if (this.flushAt !== null) clearImmediate(this.flushAt);
    this.flushAt = null;
    const lines = this.pending;
    if (lines.length === 0) return;
    this.pending = [];
    let from = 0;
    let chunk = '';
    const write = (to: number) => {
      if (chunk === '') return;
      try {
        if (this.fd === null) throw new Error('the audit log is not open');
        this.size += writeSync(this.fd, chunk);
      } catch (err) {
        for (let i = from; i < to; i++) this.onError(err as Error, lines[i].entry);
      }
      from = to;
      chunk = '';
    };
    for (let i = 0; i < lines.length; i++) {
      const { line, entry } = lines[i];
      if (this.size + chunk.length + line.length > this.opts.maxBytes) {
        write(i);
        try {
          this.rotate();
        } catch (err) {
          // As before a failed rotation: this line is reported lost, the next ones go on.
          this.onError(err as Error, entry);
          from = i + 1;
          continue;
        }
      }
      chunk += line;
    }
    write(lines.length);
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
