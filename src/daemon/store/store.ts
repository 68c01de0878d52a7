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
  private readonly mutex = new Mutex();
  private current: StoreState | null = null;
  private refusal: Refusal | null = null;
  /** The committed record as last written (a change that leaves it equal skips the write). */
  private recorded: string | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(layout: Layout, log: Logger, caps: () => CapabilityMap, writer?: StoreWriter) {
    this.layout = layout;
    this.log = log;
    this.caps = caps;
    this.revs = new Revisions(layout.revisionsFile);
    this.credentials = new Credentials(layout.credentialsFile);
    this.writer = writer ?? new FileWriter(layout);
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

  /** Validate and write an API change; throws ValidationError (nothing written) when invalid. */
  commit(change: Change, seen?: Seen): Promise<ChangeOutcome> {
    return this.mutex.run(() => this.commitLocked(this.proposal(change), seen));
  }

  /**
   * Re-read the main config file and the VF directory (after an operator edited them) and
   * adopt them when valid as a whole; through the same commit path as an API change.
   */
  async reload(seen?: Seen): Promise<ChangeOutcome> {
    // Read outside the mutex: reading every file is slow (and a FIFO once wedged it), and
    // guest requests must not queue behind it. A change committed meanwhile makes the read
    // stale (adopting it would undo that change): then read again, the last time locked.
    for (let tries = 0; tries < 3; tries++) {
      const read = this.state();
      const p = await diskProposal(this.layout, read.mainDoc, this.log);
      const out = await this.mutex.run(async () => {
        const now = this.state();
        const same = now.policies === read.policies && now.mainDoc === read.mainDoc;
        return same ? this.commitLocked(p, seen) : null;
      });
      if (out) return out;
    }
    return this.mutex.run(async () =>
      this.commitLocked(await diskProposal(this.layout, this.state().mainDoc, this.log), seen),
    );
  }

  private async commitLocked(p: Proposal, seen?: Seen): Promise<ChangeOutcome> {
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
    batch.committed = this.recordIfChanged(next);
    await this.write(batch);
    this.current = this.adopt(next.main, next.mainDoc, next.policies, guests);
    seen?.(state, this.current);
    await this.revs.flush();
    this.settleRefusal(p, batch);
    return out;
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

  /** Write a batch; what a dropped VF had beyond files (credential, revision) goes too. */
  private async write(batch: Batch): Promise<void> {
    await this.writer.write(batch);
    for (const name of batch.dropped) {
      await this.credentials.revoke(name);
      this.revs.forget(name);
    }
  }

  /** Build the next state and track revisions (bumped where content changed). */
  private adopt(
    main: MainConfig,
    mainDoc: Sourced,
    policies: ReadonlyMap<string, VfPolicy>,
    guests: ReadonlyMap<string, GuestState>,
    touched: Iterable<string> | 'all' = 'all',
  ): StoreState {
    const sorted =
      touched === 'all' || !this.current || this.current.policies !== policies
        ? new Map([...policies].sort(([a], [b]) => (a < b ? -1 : 1)))
        : policies;
    const g = new Map<string, GuestState>();
    for (const name of sorted.keys()) g.set(name, guests.get(name) ?? emptyGuestState());
    // Hashing every VF per guest request would cost O(VFs); only touched ones can change.
    for (const name of touched === 'all' ? sorted.keys() : touched) {
      const policy = sorted.get(name);
      if (policy) this.revs.track(name, contentHash(policy, g.get(name)!));
    }
    const revisions = new Map([...sorted.keys()].map((n) => [n, this.revs.get(n)]));
    return { main, mainDoc, policies: sorted, guests: g, revisions };
  }

  /**
   * Persist what a guest was granted, durably, before the grant is answered. Returns the
   * VF's new revision (unchanged when the state was already equal: nothing is written).
   */
  setGuest(name: string, guest: GuestState): Promise<number> {
    return this.mutex.run(
      async () => {
        const state = this.state();
        const policy = state.policies.get(name);
        if (!policy)
          throw new Error(`VF ${name} has no policy (deleted meanwhile); request dropped`);
        const old = state.guests.get(name) ?? emptyGuestState();
        if (sameGuestState(old, guest)) return this.revs.get(name);
        const batch = new Batch();
        batch.guests.set(name, guest);
        await this.write(batch);
        const guests = new Map(state.guests).set(name, guest);
        this.current = this.adopt(state.main, state.mainDoc, state.policies, guests, [name]);
        // The revisions file heals itself from content hashes (see revisions.ts), so a guest
        // decision need not wait for it: it is written shortly after, and on close().
        this.scheduleRevisionsFlush();
        return this.revs.get(name);
        // Urgent: the caller holds the VF's lock (see Mutex).
      },
      { urgent: true },
    );
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

  /** Write what is still only in memory (revisions). */
  close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    return this.mutex.run(() => this.revs.flush());
  }
}
