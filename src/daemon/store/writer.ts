/**
 * How the journal's compaction (and its replay at start) writes changes into the files. A
 * batch holds everything those changes write: policy files, guest state files, and the
 * committed record. The journal keeps its records until write() resolves, so a crash while
 * the files are written is replayed; each file holds its old or its new content, never a
 * mix (fsutil.writeFilesDurable). Tests inject writers that fail.
 */
import type { GuestState, VfPolicy } from '../../model/index.js';
import { type FileChange, writeFilesDurable } from '../fsutil.js';
import { type Layout, vfFile } from '../layout.js';

export interface WriteBatch {
  /** Policy files to write (a policy) or remove (null). */
  policies: ReadonlyMap<string, VfPolicy | null>;
  /** Guest state files to write (a state) or remove (null). */
  guests: ReadonlyMap<string, GuestState | null>;
  /** The committed record's new text, when the configuration changed. */
  committed: string | null;
}

export interface StoreWriter {
  write(batch: WriteBatch): Promise<void>;
}

/** A batch being built; `drop` marks everything a VF leaves behind on disk. */
export class Batch implements WriteBatch {
  readonly policies = new Map<string, VfPolicy | null>();
  readonly guests = new Map<string, GuestState | null>();
  committed: string | null = null;
  /** VFs dropped: the store also revokes their credential and forgets their revision. */
  readonly dropped: string[] = [];

  /**
   * Drop a VF: its policy file (unless `policyFile` is false: an operator's file that was
   * refused is theirs to fix, never ours to delete) and its guest state.
   */
  drop(name: string, policyFile = true): void {
    if (policyFile) this.policies.set(name, null);
    this.guests.set(name, null);
    this.dropped.push(name);
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export class FileWriter implements StoreWriter {
  private readonly layout: Layout;

  constructor(layout: Layout) {
    this.layout = layout;
  }

  /**
   * All files of the batch at once (writeFilesDurable): the journal calls this to compact,
   * and keeps the records until it resolves, so a crash halfway is replayed at start. The
   * renames keep the order above (policies, guests, the record).
   */
  async write(batch: WriteBatch): Promise<void> {
    const { vfsDir, guestDir, committedFile } = this.layout;
    const changes: FileChange[] = [];
    for (const [name, policy] of batch.policies)
      changes.push({ path: vfFile(vfsDir, name), data: policy ? json(policy) : null });
    for (const [name, guest] of batch.guests)
      changes.push({ path: vfFile(guestDir, name), data: guest ? json(guest) : null });
    if (batch.committed !== null) changes.push({ path: committedFile, data: batch.committed });
    await writeFilesDurable(changes);
  }
}
