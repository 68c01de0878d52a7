/**
 * Revision of each VF's policy + guest state. A revision is stamped onto the desired state
 * when it is read (never read back later from an object that may have changed meanwhile,
 * or a newer revision would be marked applied) and shown as `appliedRevision` once the NIC
 * matches.
 *
 * The file keeps a content hash beside each revision, so it need not be written in the same
 * atomic step as the policy: after a crash between the two, the hash no longer matches and
 * the revision is bumped on load instead of being reused for different content.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { GuestState, VfPolicy } from '../../model/index.js';
import { writeFileDurable } from '../fsutil.js';

interface Entry {
  revision: number;
  hash: string;
}

export function contentHash(policy: VfPolicy, guest: GuestState): string {
  return createHash('sha256').update(JSON.stringify({ policy, guest })).digest('hex');
}

export class Revisions {
  private readonly file: string;
  private entries = new Map<string, Entry>();
  /** Hashes not computed yet (bump): an entry's hash is only read by track() and flush(). */
  private readonly lazy = new Map<string, () => string>();
  /** Highest revision ever handed out, so a deleted-and-recreated VF never reuses one. */
  private high = 0;
  private dirty = false;

  constructor(file: string) {
    this.file = file;
  }

  async load(): Promise<void> {
    try {
      const data = JSON.parse(await readFile(this.file, 'utf8')) as {
        high?: number;
        vfs?: Record<string, Entry>;
      };
      this.entries = new Map(Object.entries(data.vfs ?? {}));
      this.high = Math.max(data.high ?? 0, ...[...this.entries.values()].map((e) => e.revision));
    } catch {
      // Missing or damaged: revisions restart from the hashes below (bumped where unknown).
      this.entries = new Map();
    }
  }

  get(name: string): number {
    return this.entries.get(name)?.revision ?? 0;
  }

  /** Record the content of a VF; bumps its revision when the content changed. */
  track(name: string, hash: string): number {
    this.settle(name);
    const e = this.entries.get(name);
    if (e && e.hash === hash) return e.revision;
    this.high += 1;
    this.entries.set(name, { revision: this.high, hash });
    this.dirty = true;
    return this.high;
  }

  /**
   * A new revision for content the caller knows has changed (a guest grant that differs from
   * the VF's last state), its hash computed only when it is needed: a SHA-256 of the policy
   * and guest state was a few µs of every durable ack, and the file is written once per
   * REVISIONS_FLUSH_MS however many acks came meanwhile.
   */
  bump(name: string, hash: () => string): number {
    this.high += 1;
    this.entries.set(name, { revision: this.high, hash: '' });
    this.lazy.set(name, hash);
    this.dirty = true;
    return this.high;
  }

  private settle(name: string): void {
    const hash = this.lazy.get(name);
    if (!hash) return;
    this.lazy.delete(name);
    const e = this.entries.get(name);
    if (e) e.hash = hash();
  }

  forget(name: string): void {
    this.lazy.delete(name);
    if (this.entries.delete(name)) this.dirty = true;
  }

  map(): Map<string, number> {
    return new Map([...this.entries].map(([k, v]) => [k, v.revision]));
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    for (const name of [...this.lazy.keys()]) this.settle(name);
    const vfs = Object.fromEntries([...this.entries].sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFileDurable(this.file, `${JSON.stringify({ high: this.high, vfs }, null, 2)}\n`);
  }
}
