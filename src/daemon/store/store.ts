/**
 * The durable store: main config + one JSON file per VF policy + guest state. Every change
 * (API, CLI, file edit + reload) becomes a proposal of the whole set, is validated as a
 * whole before anything is written, and goes through one commit path: only a valid change
 * is written durably and then acknowledged; an invalid one is refused with every problem
 * and leaves files (and so the NIC) untouched.
 *
 * Files an operator broke by hand never take the VF policy down: at start the store then
 * runs the last committed configuration (committed.ts) and reports the refused files until
 * a reload accepts a fix.
 */
import {
  emptyGuestState,
  type GuestState,
  type MainConfig,
  type Problem,
  type Refusal,
  type Sourced,
  ValidationError,
  type VfPolicy,
} from '../../model/index.js';
import { pruneGuestState, sameGuestState } from '../../policy/guest-state.js';
import { type CapabilityMap, validate } from '../../policy/validate.js';
import { DaemonError } from '../errors.js';
import { ensureDir, sweepTempFiles } from '../fsutil.js';
import { type Layout, vfFile } from '../layout.js';
import type { Logger } from '../logger.js';
import { Mutex } from '../mutex.js';
import {
  type Change,
  type ChangeOutcome,
  outcomeOf,
  type Proposal,
  proposalOf,
  type StoreState,
} from './change.js';
import { recordText } from './committed.js';
import { Credentials } from './credentials.js';
import { committedProposal, diskProposal, loadGuests, policyFileNames } from './disk.js';
import { Journal, JournalFailure, type JournalIo } from './journal.js';
import { contentHash, Revisions } from './revisions.js';
import { Batch, FileWriter, type StoreWriter } from './writer.js';

export type { Change, ChangeOutcome, StoreState } from './change.js';

const REVISIONS_FLUSH_MS = 200;

/**
 * Told, inside the store's critical section, the state a change replaced and the one it
 * made: what the change itself moved, whatever other changes queued before or after it.
 */
export type Seen = (before: StoreState, after: StoreState) => void;

interface Checked {
  problems: Problem[];
  main: MainConfig | null;
  mainDoc: Sourced;
  policies: Map<string, VfPolicy>;
}

/** A change staged: in the journal (durable once `durable` settles) and adopted in memory. */
interface Staged {
  durable: Promise<void>;
  batch: Batch;
  snap: Snapshot;
}

/** What a rollback restores: the state and committed record as of a durable change. */
interface Snapshot {
  n: number;
  state: StoreState | null;
  recorded: string | null;
}

/** A change that could not be written: refused, with nothing adopted. */
function notWritten(
  dir: string,
  err: unknown,
  what = `the change was not written to the journal in ${dir}`,
): DaemonError {
  const e = err as NodeJS.ErrnoException;
  const fix =
    e.code === 'ENOSPC' ? `free space on the file system of ${dir}` : `check ${dir} and the disk`;
  return new DaemonError(
    'unavailable',
    `${what} (${e.code ?? e.message}): nothing was changed; ${fix} and retry`,
  );
}

function isEmpty(b: Batch): boolean {
  return b.policies.size === 0 && b.guests.size === 0 && b.committed === null;
}

function refusalOf(problems: Problem[]): Refusal {
  const files = [...new Set(problems.map((p) => p.file))];
  return { since: new Date().toISOString(), files, problems };
}

export class Store {
  readonly layout: Layout;
  readonly credentials: Credentials;
  private readonly log: Logger;
  private readonly caps: () => CapabilityMap;
  private readonly revs: Revisions;
  private readonly writer: StoreWriter;
  /** Every change goes through it; compaction writes the files (see journal.ts). */
  readonly journal: Journal;
  private readonly mutex = new Mutex();
  /** The last change known durable (what a failed fsync rolls back to). */
  private durableSnap: Snapshot = { n: 0, state: null, recorded: null };
  private snaps = 0;
  /** The last journal failure rolled back (each is rolled back once). */
  private rolledBack = 0;
  private current: StoreState | null = null;
  private refusal: Refusal | null = null;
  /** The committed record as last written (a change that leaves it equal skips the write). */
  private recorded: string | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    layout: Layout,
    log: Logger,
    caps: () => CapabilityMap,
    writer?: StoreWriter,
    io?: JournalIo,
  ) {
    this.layout = layout;
    this.log = log;
    this.caps = caps;
    this.revs = new Revisions(layout.revisionsFile);
    this.credentials = new Credentials(layout.credentialsFile);
    this.writer = writer ?? new FileWriter(layout);
    this.journal = new Journal({ dir: layout.journalDir, writer: this.writer, log, io });
  }

  state(): StoreState {
    if (!this.current) throw new Error('store is not open: call open() first');
    return this.current;
  }

  /** What was refused, while the store runs its last committed configuration; else null. */
  refused(): Refusal | null {
    return this.refusal;
  }

  /**
   * Create the layout, sweep temp files, load and validate everything. When the files are
   * refused the last committed configuration is run instead; without one, throws
   * ValidationError with every problem. `mainDoc` is the main config when there is no file
   * (the embedded demo).
   */
  async open(mainDoc: Sourced): Promise<void> {
    const l = this.layout;
    for (const d of [l.stateDir, l.vfsDir, l.guestDir]) {
      await ensureDir(d);
      const moved = await sweepTempFiles(d);
      if (moved.length > 0)
        this.log.warn({ dir: d, files: moved }, 'moved leftover temp files aside (never loaded)');
    }
    // Acknowledged changes a crash left in the journal go into the files before they are read.
    const replay = await this.journal.open();
    if (replay.records > 0)
      this.log.info(
        { records: replay.records, segments: replay.segments },
        'replayed the journal into the files',
      );
    await this.revs.load();
    const unusable = await this.credentials.load();
    if (unusable)
      this.log.error(
        { file: l.credentialsFile, problem: unusable },
        'guest credentials unusable: every guest token issued before is void; issue new ones (POST /v1/vfs/NAME/credential)',
      );
    const guests = await loadGuests(l, this.log);
    const disk = await diskProposal(l, mainDoc, this.log);
    let next = this.check(disk, guests);
    if (next.problems.length > 0) next = await this.fallBack(next.problems, guests);
    await this.finishInterrupted(next, guests);
    this.current = this.adopt(next.main!, next.mainDoc, next.policies, guests);
    const batch = new Batch();
    batch.committed = this.recordIfChanged(next);
    await this.write(batch);
    await this.revs.flush();
    await this.journal.compact();
    this.durableSnap = this.snapshot();
  }

  /** Start from the last committed configuration, reporting what was refused. */
  private async fallBack(problems: Problem[], guests: Map<string, GuestState>): Promise<Checked> {
    const record = await committedProposal(this.layout);
    if (!record) throw new ValidationError(problems);
    const checked = this.check(record, guests);
    if (checked.problems.length > 0) throw new ValidationError([...problems, ...checked.problems]);
    this.refusal = refusalOf(problems);
    this.recorded = recordText(checked.mainDoc, checked.policies.values());
    this.log.warn(
      { refused: this.refusal.files, problems: problems.length },
      'configuration files refused: running the last committed configuration until a reload accepts a fix',
    );
    return checked;
  }

  /**
   * Finish what a crash interrupted. A policy file is the commit point of a change: a delete
   * killed after removing it leaves the guest file and credential behind, and a narrowing
   * put killed before pruning leaves a guest state the new policy forbids. Without this a
   * later VF of the same name would inherit the old guest's MACs and credential. A policy
   * file that is present but refused belongs to the operator: its VF is left as it is.
   */
  private async finishInterrupted(next: Checked, guests: Map<string, GuestState>): Promise<void> {
    const files = await policyFileNames(this.layout);
    const left = [...new Set([...guests.keys(), ...this.credentials.names()])].filter(
      (n) => !next.policies.has(n) && !files.has(n),
    );
    const batch = new Batch();
    for (const name of left) {
      batch.drop(name, false);
      guests.delete(name);
    }
    if (left.length > 0) this.log.warn({ vfs: left }, 'dropped what deleted VFs left behind');
    this.prune(next, guests, batch);
    await this.write(batch);
  }

  /** The checked next set of a proposal. Pure apart from the capabilities. */
  private check(p: Proposal, guests: ReadonlyMap<string, GuestState>): Checked {
    const r = validate(p.mainDoc, p.docs, this.caps(), guests);
    const problems = [...p.problems, ...r.problems];
    const policies = new Map(r.policies.map((x) => [x.name, x]));
    return { problems, main: r.config, mainDoc: p.mainDoc, policies };
  }

  /** Dry run: every problem the change would have, nothing written. */
  validateChange(change: Change): Problem[] {
    const state = this.state();
    return this.check(this.proposal(change), state.guests).problems;
  }

  private proposal(change: Change): Proposal {
    return proposalOf(this.state(), change, (name) => vfFile(this.layout.vfsDir, name));
  }

  /**
   * Validate and write an API change; throws ValidationError (nothing written) when invalid,
   * and DaemonError `unavailable` (nothing adopted) when it cannot be written. Resolves once
   * the change is durable: staged under the store's mutex, it waits for its fsync outside it,
   * so changes arriving meanwhile share that fsync (group commit). `seen` gets the state just
   * before and after the change, taken under the mutex.
   */
  async commit(change: Change, seen?: Seen): Promise<ChangeOutcome> {
    const { out, staged } = await this.mutex.run(async () =>
      this.commitLocked(this.proposal(change), seen),
    );
    await this.settle(staged);
    await this.writeFiles();
    return out;
  }

  /**
   * Re-read the main config file and the VF directory (after an operator edited them) and
   * adopt them when valid as a whole; through the same commit path as an API change. The
   * journal is compacted first, so the files read hold every acknowledged change.
   */
  async reload(seen?: Seen): Promise<ChangeOutcome> {
    const compact = () =>
      this.journal.compact().catch((err) => {
        throw notWritten(
          this.layout.journalDir,
          err,
          'reload first writes the journal into the files, which failed',
        );
      });
    // Read outside the mutex: reading every file is slow (and a FIFO once wedged it), and
    // guest requests must not queue behind it. A change committed meanwhile makes the read
    // stale (adopting it would undo that change): then read again, the last time locked.
    // Compaction waits for staged records, so after it the files hold the state read before.
    for (let tries = 0; tries < 3; tries++) {
      const read = this.state();
      await compact();
      const p = await diskProposal(this.layout, read.mainDoc, this.log);
      const done = await this.mutex.run(async () => {
        const now = this.state();
        const same = now.policies === read.policies && now.mainDoc === read.mainDoc;
        return same ? this.commitLocked(p, seen) : null;
      });
      if (done) {
        await this.settle(done.staged);
        await this.writeFiles();
        return done.out;
      }
    }
    const { out, staged } = await this.mutex.run(async () => {
      await compact();
      return this.commitLocked(
        await diskProposal(this.layout, this.state().mainDoc, this.log),
        seen,
      );
    });
    await this.settle(staged);
    await this.writeFiles();
    return out;
  }

  private async commitLocked(
    p: Proposal,
    seen?: Seen,
  ): Promise<{ out: ChangeOutcome; staged: Staged }> {
    const state = this.state();
    const next = this.check(p, state.guests);
    if (next.problems.length > 0 || !next.main) {
      if (p.fromDisk) this.refusal = refusalOf(next.problems);
      throw new ValidationError(next.problems);
    }
    const out = outcomeOf(state, { main: next.main, policies: next.policies }, p);
    const batch = new Batch();
    for (const name of [...out.added, ...out.changed])
      if (p.writes.has(name)) batch.policies.set(name, next.policies.get(name)!);
    const guests = new Map(state.guests);
    for (const name of out.deleted) {
      batch.drop(name);
      guests.delete(name);
    }
    this.prune(next, guests, batch);
    const recorded = this.recorded;
    batch.committed = this.recordIfChanged(next);
    let durable: Promise<void>;
    try {
      durable = this.stage(batch);
    } catch (err) {
      this.recorded = recorded;
      throw err;
    }
    this.current = this.adopt(next.main, next.mainDoc, next.policies, guests);
    seen?.(state, this.current);
    this.settleRefusal(p, batch);
    return { out, staged: { durable, batch, snap: this.snapshot() } };
  }

  /**
   * An operator's change is acknowledged once its files are written too, so `nicvisor apply`
   * then `cat vfs/NAME.json` shows it (guest changes leave that to background compaction).
   * The change is durable in the journal already: a failure here is retried, not refused.
   */
  private async writeFiles(): Promise<void> {
    try {
      await this.journal.compact();
    } catch {
      // Logged and retried by the journal; replayed at start if it never succeeds.
    }
  }

  private snapshot(): Snapshot {
    this.snaps += 1;
    return { n: this.snaps, state: this.current, recorded: this.recorded };
  }

  /**
   * Append a batch to the journal. Throws a DaemonError (nothing written) when it cannot be
   * written; the promise settles when it is durable. What a dropped VF had in memory (its
   * revision) goes now; its credential once the drop is durable (settle).
   */
  private stage(batch: Batch): Promise<void> {
    if (isEmpty(batch)) return Promise.resolve();
    let durable: Promise<void>;
    try {
      durable = this.journal.append(batch);
    } catch (err) {
      throw notWritten(this.layout.journalDir, err);
    }
    for (const name of batch.dropped) this.revs.forget(name);
    return durable;
  }

  /** Wait until a staged change is durable; when its fsync failed, roll back and refuse. */
  private async settle(s: Staged): Promise<void> {
    try {
      await s.durable;
    } catch (err) {
      await this.rollBack(err);
      throw notWritten(this.layout.journalDir, err);
    }
    if (s.snap.n > this.durableSnap.n) this.durableSnap = s.snap;
    for (const name of s.batch.dropped) await this.credentials.revoke(name);
    this.scheduleRevisionsFlush();
  }

  /**
   * An fsync failed: the journal cut off that change and every later one, so memory goes
   * back to the last durable change (once per failure) and the journal takes changes again.
   */
  private rollBack(err: unknown): Promise<void> {
    return this.mutex.run(async () => {
      const gen = err instanceof JournalFailure ? err.generation : 0;
      if (gen <= this.rolledBack) return;
      this.rolledBack = gen;
      if (this.durableSnap.state) this.current = this.durableSnap.state;
      this.recorded = this.durableSnap.recorded;
      this.journal.resume();
      this.log.error(
        { err },
        'a journal write failed: the changes since the last durable one were refused and undone',
      );
    });
  }

  /** An accepted reload clears the refusal; an API change clears the files it rewrote. */
  private settleRefusal(p: Proposal, batch: Batch): void {
    if (!this.refusal) return;
    if (p.fromDisk) {
      this.refusal = null;
      return;
    }
    const fixed = new Set([...batch.policies.keys()].map((n) => vfFile(this.layout.vfsDir, n)));
    const problems = this.refusal.problems.filter((x) => !fixed.has(x.file));
    this.refusal =
      problems.length > 0
        ? { ...this.refusal, ...refusalOf(problems), since: this.refusal.since }
        : null;
  }

  /** Narrowed policies shrink what their guests hold (written in the same batch). */
  private prune(next: Checked, guests: Map<string, GuestState>, batch: Batch): void {
    const pfs = new Map(next.main!.pfs.map((p) => [p.pf, p]));
    for (const [name, policy] of next.policies) {
      const g = guests.get(name);
      if (!g) continue;
      const pruned = pruneGuestState(g, policy, pfs.get(policy.pf));
      if (sameGuestState(pruned, g)) continue;
      batch.guests.set(name, pruned);
      guests.set(name, pruned);
    }
  }

  private recordIfChanged(next: Checked): string | null {
    const text = recordText(next.mainDoc, next.policies.values());
    if (text === this.recorded) return null;
    this.recorded = text;
    return text;
  }

  /** Write a batch durably at start (nothing is adopted yet, so nothing to roll back). */
  private async write(batch: Batch): Promise<void> {
    try {
      await this.stage(batch);
    } catch (err) {
      if (err instanceof JournalFailure) this.journal.resume();
      throw err instanceof DaemonError ? err : notWritten(this.layout.journalDir, err);
    }
    for (const name of batch.dropped) await this.credentials.revoke(name);
  }

  /**
   * The state after one guest change: the same policies, and one copy each of the guest and
   * revision maps (adopt() sorts and rebuilds every map, O(VFs) several times over, which on
   * a host of 512 VFs was most of an ack's garbage).
   */
  private withGuest(
    state: StoreState,
    name: string,
    policy: VfPolicy,
    guest: GuestState,
  ): StoreState {
    // Not the same as the VF's last state (setGuest checked), so its content hash differs.
    const revision = this.revs.bump(name, () => contentHash(policy, guest));
    return {
      ...state,
      guests: new Map(state.guests).set(name, guest),
      revisions: new Map(state.revisions).set(name, revision),
    };
  }

  /** Build the next state and track revisions (bumped where content changed). */
  private adopt(
    main: MainConfig,
    mainDoc: Sourced,
    policies: ReadonlyMap<string, VfPolicy>,
    guests: ReadonlyMap<string, GuestState>,
  ): StoreState {
    const sorted = new Map([...policies].sort(([a], [b]) => (a < b ? -1 : 1)));
    const g = new Map<string, GuestState>();
    for (const name of sorted.keys()) g.set(name, guests.get(name) ?? emptyGuestState());
    for (const [name, policy] of sorted) this.revs.track(name, contentHash(policy, g.get(name)!));
    const revisions = new Map([...sorted.keys()].map((n) => [n, this.revs.get(n)]));
    return { main, mainDoc, policies: sorted, guests: g, revisions };
  }

  /**
   * Persist what a guest was granted, durably, before the grant is answered. Returns the
   * VF's new revision (unchanged when the state was already equal: nothing is written).
   */
  async setGuest(name: string, guest: GuestState): Promise<number> {
    const { revision, staged } = await this.mutex.run(
      async () => {
        const state = this.state();
        const policy = state.policies.get(name);
        if (!policy)
          throw new Error(`VF ${name} has no policy (deleted meanwhile); request dropped`);
        const old = state.guests.get(name) ?? emptyGuestState();
        if (sameGuestState(old, guest)) return { revision: this.revs.get(name), staged: null };
        const batch = new Batch();
        batch.guests.set(name, guest);
        const durable = this.stage(batch);
        this.current = this.withGuest(state, name, policy, guest);
        return { revision: this.revs.get(name), staged: { durable, batch, snap: this.snapshot() } };
        // Urgent: the caller holds the VF's lock (see Mutex).
      },
      { urgent: true },
    );
    // The revisions file heals itself from content hashes (see revisions.ts), so a change
    // need not wait for it: settle() schedules it, and close() writes it.
    if (staged) await this.settle(staged);
    return revision;
  }

  private scheduleRevisionsFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.mutex
        .run(() => this.revs.flush())
        .catch((err) => {
          this.log.error(
            { err },
            'writing revisions failed; they are rebuilt from hashes at start',
          );
        });
    }, REVISIONS_FLUSH_MS);
  }

  /** Write what is still only in memory (revisions) and compact the journal into the files. */
  close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    return this.mutex.run(async () => {
      // Revisions heal from content hashes (revisions.ts): a full disk must not stop the stop.
      await this.revs.flush().catch((err) => {
        this.log.error({ err }, 'writing revisions failed; they are rebuilt from hashes at start');
      });
      await this.journal.close();
    });
  }
}
