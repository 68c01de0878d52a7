/**
 * The durable store: main config + one JSON file per VF policy + guest state. Every change
 * (API, CLI, file edit + reload) is validated as a whole against the full set before
 * anything is written; only a valid change is written durably and then acknowledged. An
 * invalid change is refused with every problem and leaves files (and so the NIC) untouched.
 */
import { readdir, readFile } from 'node:fs/promises';
import {
  emptyGuestState,
  type GuestState,
  isVfName,
  type MainConfig,
  type Problem,
  parseDocument,
  ValidationError,
  type VfPolicy,
} from '../model/index.js';
import { type CapabilityMap, type Sourced, validate } from '../policy/validate.js';
import { Credentials } from './credentials.js';
import { readMainFile, readVfDir } from './documents.js';
import { ensureDir, removeFileDurable, sweepTempFiles, writeFileDurable } from './fsutil.js';
import { pruneGuestState, sameGuestState } from './guest-prune.js';
import { type Layout, vfFile } from './layout.js';
import type { Logger } from './logger.js';
import { Mutex } from './mutex.js';
import { contentHash, Revisions } from './revisions.js';

/** One consistent view of everything stored; replaced (never mutated) by each change. */
export interface StoreState {
  main: MainConfig;
  mainDoc: Sourced;
  policies: ReadonlyMap<string, VfPolicy>;
  guests: ReadonlyMap<string, GuestState>;
  revisions: ReadonlyMap<string, number>;
}

export interface Change {
  /** Policies to add or replace; `file` labels problems (`vfs/NAME` for API objects). */
  put?: Sourced[];
  delete?: string[];
  /** A replacement main config. */
  main?: Sourced;
}

export interface ChangeOutcome {
  added: string[];
  changed: string[];
  unchanged: string[];
  deleted: string[];
  mainChanged: boolean;
}

const REVISIONS_FLUSH_MS = 200;

interface Checked {
  problems: Problem[];
  main: MainConfig | null;
  policies: Map<string, VfPolicy>;
}

function nameOf(doc: Sourced): unknown {
  return doc.data && typeof doc.data === 'object'
    ? (doc.data as { name?: unknown }).name
    : undefined;
}

/** The policies a change puts, by name; two with one name are refused, not merged. */
function putsOf(change: Change): { puts: Map<string, Sourced>; dupes: Problem[] } {
  const puts = new Map<string, Sourced>();
  const dupes: Problem[] = [];
  for (const d of change.put ?? []) {
    const name = String(nameOf(d));
    if (puts.has(name))
      dupes.push({
        file: d.file,
        field: 'name',
        value: nameOf(d),
        allowed: 'each name once per change',
        fix: `send one policy named ${JSON.stringify(name)}`,
        message: `the change holds two policies named ${JSON.stringify(name)}`,
      });
    puts.set(name, d);
  }
  return { puts, dupes };
}

/** An empty outcome of a change; the main config counts as changed when its content differs. */
function outcome(next: unknown, current: unknown): ChangeOutcome {
  const mainChanged = JSON.stringify(next) !== JSON.stringify(current);
  return { added: [], changed: [], unchanged: [], deleted: [], mainChanged };
}

export class Store {
  readonly layout: Layout;
  readonly credentials: Credentials;
  private readonly log: Logger;
  private readonly caps: () => CapabilityMap;
  private readonly revs: Revisions;
  private readonly mutex = new Mutex();
  private current: StoreState | null = null;

  constructor(layout: Layout, log: Logger, caps: () => CapabilityMap) {
    this.layout = layout;
    this.log = log;
    this.caps = caps;
    this.revs = new Revisions(layout.revisionsFile);
    this.credentials = new Credentials(layout.credentialsFile);
  }

  state(): StoreState {
    if (!this.current) throw new Error('store is not open: call open() first');
    return this.current;
  }

  /** Create the layout, sweep temp files, load and validate everything. Throws ValidationError. */
  async open(mainDoc: Sourced): Promise<void> {
    const l = this.layout;
    for (const d of [l.stateDir, l.vfsDir, l.guestDir]) {
      await ensureDir(d);
      const moved = await sweepTempFiles(d);
      if (moved.length > 0) {
        this.log.warn({ dir: d, files: moved }, 'moved leftover temp files aside (never loaded)');
      }
    }
    await this.revs.load();
    await this.credentials.load();
    const read = await readVfDir(l.vfsDir);
    if (read.ignored.length > 0) {
      this.log.warn({ dir: l.vfsDir, files: read.ignored }, 'ignored files that are not NAME.json');
    }
    const checked = this.check(mainDoc, read.docs, new Map());
    const problems = [...read.problems, ...checked.problems];
    if (problems.length > 0 || !checked.main) throw new ValidationError(problems);
    const guests = await this.loadGuests(checked.policies);
    await this.finishInterrupted(checked, guests);
    this.current = this.adopt(checked.main, mainDoc, checked.policies, guests);
    await this.revs.flush();
  }

  /**
   * Finish what a crash interrupted. A policy file is the commit point of a change: a delete
   * killed after removing it leaves the guest file and credential behind, and a narrowing
   * put killed before pruning leaves a guest state the new policy forbids. Without this a
   * later VF of the same name would inherit the old guest's MACs and credential.
   */
  private async finishInterrupted(
    checked: Checked,
    guests: Map<string, GuestState>,
  ): Promise<void> {
    const orphans = (await readdir(this.layout.guestDir))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .filter((n) => isVfName(n) && !checked.policies.has(n));
    for (const name of orphans) await removeFileDurable(vfFile(this.layout.guestDir, name));
    const stale = this.credentials.names().filter((n) => !checked.policies.has(n));
    for (const name of stale) await this.credentials.revoke(name);
    if (orphans.length + stale.length > 0)
      this.log.warn({ orphans, stale }, 'removed guest state and credentials of deleted VFs');
    await this.pruneGuests(checked, guests);
  }

  private async loadGuests(
    policies: ReadonlyMap<string, VfPolicy>,
  ): Promise<Map<string, GuestState>> {
    const guests = new Map<string, GuestState>();
    for (const name of policies.keys()) {
      const file = vfFile(this.layout.guestDir, name);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch {
        continue;
      }
      const parsed = parseDocument(file, bytes, 'json');
      if ('problem' in parsed) {
        this.log.warn(
          { file, problem: parsed.problem.message },
          'guest state unreadable; starting empty',
        );
        continue;
      }
      guests.set(name, { ...emptyGuestState(), ...(parsed.data as Partial<GuestState>) });
    }
    return guests;
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

  /** Validate the whole set that would result from `puts` over `base`. Pure apart from caps. */
  private check(
    mainDoc: Sourced,
    base: Sourced[],
    puts: Map<string, Sourced>,
    dupes: Problem[] = [],
  ): Checked {
    const problems: Problem[] = [...dupes];
    const docs = new Map<string, Sourced>();
    for (const d of [...base, ...puts.values()]) docs.set(String(nameOf(d)), d);
    const result = validate(mainDoc, [...docs.values()], this.caps());
    problems.push(...result.problems);
    const policies = new Map(result.policies.map((p) => [p.name, p]));
    return { problems, main: result.config, policies };
  }

  private docsOf(state: StoreState, without: ReadonlySet<string>): Sourced[] {
    return [...state.policies]
      .filter(([name]) => !without.has(name))
      .map(([name, data]) => ({ file: vfFile(this.layout.vfsDir, name), data }));
  }

  /** Dry run: every problem the change would have, nothing written. */
  validateChange(change: Change): Problem[] {
    const state = this.state();
    const { puts, dupes } = putsOf(change);
    const del = new Set(change.delete ?? []);
    return this.check(change.main ?? state.mainDoc, this.docsOf(state, del), puts, dupes).problems;
  }

  /** Validate and write a change; throws ValidationError (nothing written) when invalid. */
  apply(change: Change): Promise<ChangeOutcome> {
    return this.mutex.run(() => this.applyLocked(change));
  }

  private async applyLocked(change: Change): Promise<ChangeOutcome> {
    const state = this.state();
    const { puts, dupes } = putsOf(change);
    const del = new Set(change.delete ?? []);
    const mainDoc = change.main ?? state.mainDoc;
    const checked = this.check(mainDoc, this.docsOf(state, del), puts, dupes);
    if (checked.problems.length > 0 || !checked.main) throw new ValidationError(checked.problems);
    const out = outcome(checked.main, state.main);
    const guests = new Map(state.guests);
    for (const name of puts.keys()) {
      const policy = checked.policies.get(name)!;
      const old = state.policies.get(name);
      if (old && JSON.stringify(old) === JSON.stringify(policy)) {
        out.unchanged.push(name);
        continue;
      }
      (old ? out.changed : out.added).push(name);
      await writeFileDurable(
        vfFile(this.layout.vfsDir, name),
        `${JSON.stringify(policy, null, 2)}\n`,
      );
    }
    for (const name of del) {
      if (!state.policies.has(name) || puts.has(name)) continue;
      await removeFileDurable(vfFile(this.layout.vfsDir, name));
      await removeFileDurable(vfFile(this.layout.guestDir, name));
      await this.credentials.revoke(name);
      this.revs.forget(name);
      guests.delete(name);
      out.deleted.push(name);
    }
    await this.pruneGuests(checked, guests);
    this.current = this.adopt(checked.main, mainDoc, checked.policies, guests);
    await this.revs.flush();
    return out;
  }

  /** Narrowed policies shrink what their guests hold (written before the change is adopted). */
  private async pruneGuests(checked: Checked, guests: Map<string, GuestState>): Promise<void> {
    const pfs = new Map(checked.main!.pfs.map((p) => [p.pf, p]));
    for (const [name, policy] of checked.policies) {
      const g = guests.get(name);
      if (!g) continue;
      const pruned = pruneGuestState(g, policy, pfs.get(policy.pf));
      if (sameGuestState(pruned, g)) continue;
      await this.writeGuest(name, pruned);
      guests.set(name, pruned);
    }
  }

  private async writeGuest(name: string, guest: GuestState): Promise<void> {
    await writeFileDurable(
      vfFile(this.layout.guestDir, name),
      `${JSON.stringify(guest, null, 2)}\n`,
    );
  }

  /**
   * Re-read the main config file and the VF directory (after an operator edited them) and
   * adopt them when valid as a whole. Invalid: throws ValidationError, nothing changes.
   */
  reload(): Promise<ChangeOutcome> {
    return this.mutex.run(async () => {
      const state = this.state();
      let mainDoc = state.mainDoc;
      const problems: Problem[] = [];
      if (this.layout.configFile) {
        const m = await readMainFile(this.layout.configFile);
        if ('problem' in m) problems.push(m.problem);
        else mainDoc = { file: this.layout.configFile, data: m.data };
      }
      const read = await readVfDir(this.layout.vfsDir);
      problems.push(...read.problems);
      const checked = this.check(mainDoc, read.docs, new Map());
      problems.push(...checked.problems);
      if (problems.length > 0 || !checked.main) throw new ValidationError(problems);
      const out = outcome(checked.main, state.main);
      for (const [name, p] of checked.policies) {
        const old = state.policies.get(name);
        if (!old) out.added.push(name);
        else if (JSON.stringify(old) !== JSON.stringify(p)) out.changed.push(name);
        else out.unchanged.push(name);
      }
      const guests = new Map(state.guests);
      for (const name of state.policies.keys()) {
        if (checked.policies.has(name)) continue;
        out.deleted.push(name);
        await removeFileDurable(vfFile(this.layout.guestDir, name));
        await this.credentials.revoke(name);
        this.revs.forget(name);
        guests.delete(name);
      }
      await this.pruneGuests(checked, guests);
      this.current = this.adopt(checked.main, mainDoc, checked.policies, guests);
      await this.revs.flush();
      return out;
    });
  }

  private flushTimer: NodeJS.Timeout | null = null;

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

  /**
   * Persist what a guest was granted, durably, before the grant is answered. Returns the
   * VF's new revision (unchanged when the state was already equal: nothing is written).
   */
  setGuest(name: string, guest: GuestState): Promise<number> {
    return this.mutex.run(async () => {
      const state = this.state();
      const policy = state.policies.get(name);
      if (!policy) throw new Error(`VF ${name} has no policy (deleted meanwhile); request dropped`);
      const old = state.guests.get(name) ?? emptyGuestState();
      if (sameGuestState(old, guest)) return this.revs.get(name);
      await this.writeGuest(name, guest);
      const guests = new Map(state.guests).set(name, guest);
      this.current = this.adopt(state.main, state.mainDoc, state.policies, guests, [name]);
      // The revisions file heals itself from content hashes (see revisions.ts), so a guest
      // decision need not wait for it: it is written shortly after, and on close().
      this.scheduleRevisionsFlush();
      return this.revs.get(name);
    });
  }
}
