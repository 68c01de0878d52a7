/**
 * The claims ledger: one durable file (`STATEDIR/claims.json`) with every claim, a revision
 * and the next fence token. Every change is one durable write (temp file, fsync, rename,
 * fsync dir) under one mutex, and checks the revision its caller read (optimistic
 * concurrency: a decision made on an older ledger is refused, never written over a newer
 * one). The file is the truth about who owns which VF; the VF policies follow it.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { Claim } from '../../model/index.js';
import { writeFileDurable } from '../fsutil.js';
import { Mutex } from '../mutex.js';

const LedgerFile = z.object({
  version: z.literal(1),
  revision: z.number().int().min(0),
  nextFence: z.number().int().min(1),
  claims: z.array(Claim),
});
type LedgerFile = z.infer<typeof LedgerFile>;

export interface LedgerView {
  revision: number;
  claims: readonly Claim[];
}

/** What a change does: the next claims, or null to leave the ledger as it is. */
export type LedgerChange<T> = (
  now: LedgerView,
  fence: () => number,
) => { claims: Claim[]; value: T } | { claims: null; value: T };

export class StaleRevisionError extends Error {
  constructor(expected: number, found: number) {
    super(`claims ledger changed meanwhile (revision ${expected} read, ${found} now)`);
    this.name = 'StaleRevisionError';
  }
}

export class Ledger {
  private readonly path: string;
  private readonly mutex = new Mutex();
  private data: LedgerFile = { version: 1, revision: 0, nextFence: 1, claims: [] };

  constructor(path: string) {
    this.path = path;
  }

  /** Read the file; a missing file is an empty ledger, a broken one an error (never dropped). */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const r = LedgerFile.safeParse(JSON.parse(text));
    if (!r.success)
      throw new Error(
        `claims ledger ${this.path} is damaged (${r.error.issues[0]?.message ?? 'bad shape'}): restore it from a backup or move it aside to start with no claims`,
      );
    this.data = r.data;
  }

  view(): LedgerView {
    return { revision: this.data.revision, claims: this.data.claims };
  }

  /**
   * Apply a change under the mutex and write it durably before anyone sees it. With
   * `expected`, the change is refused (StaleRevisionError) when the ledger moved since.
   */
  update<T>(change: LedgerChange<T>, expected?: number): Promise<T> {
    return this.mutex.run(async () => {
      if (expected !== undefined && expected !== this.data.revision)
        throw new StaleRevisionError(expected, this.data.revision);
      let nextFence = this.data.nextFence;
      const out = change(this.view(), () => nextFence++);
      if (out.claims === null) return out.value;
      const next: LedgerFile = {
        version: 1,
        revision: this.data.revision + 1,
        nextFence,
        claims: out.claims,
      };
      await writeFileDurable(this.path, `${JSON.stringify(next, null, 1)}\n`, 0o640);
      this.data = next;
      return out.value;
    });
  }
}
