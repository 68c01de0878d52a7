/**
 * How the store makes an accepted change durable. A batch holds everything one change
 * writes: policy files, guest state files, and the committed record. The file writer does
 * them one by one, each durably (fsutil), in an order that survives a crash between any two:
 * the policy files are the commit point, guest files follow (pruning is finished again at
 * start), and the record comes last (a stale record is only used when the files are
 * refused). A journal can replace this writer without the store changing.
 */
import type { GuestState, VfPolicy } from '../../model/index.js';
import { removeFileDurable, writeFileDurable } from '../fsutil.js';
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

  async write(batch: WriteBatch): Promise<void> {
    const { vfsDir, guestDir, committedFile } = this.layout;
    for (const [name, policy] of batch.policies) {
      if (policy) await writeFileDurable(vfFile(vfsDir, name), json(policy));
      else await removeFileDurable(vfFile(vfsDir, name));
    }
    for (const [name, guest] of batch.guests) {
      if (guest) await writeFileDurable(vfFile(guestDir, name), json(guest));
      else await removeFileDurable(vfFile(guestDir, name));
    }
    if (batch.committed !== null) await writeFileDurable(committedFile, batch.committed);
  }
}
