/**
 * The audit log: one JSON line per policy change and guest decision — who asked, what, and
 * the answer — rotated by size (audit.log → audit.log.1 … .keep). Writes are synchronous
 * appends so the order on disk is the order of decisions and a crash loses at most the
 * line being written.
 */
import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { AuditEntry } from '../model/index.js';
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
    this.fd = openSync(this.opts.path, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
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
