/**
 * Changes to the store as values. Every way the configuration changes — API puts and
 * deletes, a new main config, a reload of the files — becomes a Proposal: the whole set the
 * change would leave. The store validates a proposal as a whole and commits it through one
 * path. Pure.
 */
import type { GuestState, MainConfig, Problem, Sourced, VfPolicy } from '../../model/index.js';

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

/** The whole configuration a change would leave, before it is validated. */
export interface Proposal {
  mainDoc: Sourced;
  docs: Sourced[];
  /** Problems found before validation (unreadable files, two policies of one name). */
  problems: Problem[];
  /** Names whose policy files the store writes (API puts); a reload's are already on disk. */
  writes: ReadonlySet<string>;
  /** A reload: the files were read from disk, and a refusal is reported until fixed. */
  fromDisk: boolean;
}

export interface ChangeOutcome {
  added: string[];
  changed: string[];
  unchanged: string[];
  deleted: string[];
  mainChanged: boolean;
}

function nameOf(doc: Sourced): string {
  const d = doc.data as { name?: unknown } | null;
  return String(d && typeof d === 'object' ? d.name : undefined);
}

/** The proposal of an API change: the current set, minus deletes, plus puts. */
export function proposalOf(
  state: StoreState,
  change: Change,
  fileOf: (name: string) => string,
): Proposal {
  const del = new Set(change.delete ?? []);
  const docs = new Map<string, Sourced>();
  for (const [name, data] of state.policies)
    if (!del.has(name)) docs.set(name, { file: fileOf(name), data });
  const problems: Problem[] = [];
  const writes = new Set<string>();
  for (const d of change.put ?? []) {
    const name = nameOf(d);
    // Two policies of one name in a change are refused, not merged.
    if (writes.has(name))
      problems.push({
        file: d.file,
        field: 'name',
        value: name,
        allowed: 'each name once per change',
        fix: `send one policy named ${JSON.stringify(name)}`,
        message: `the change holds two policies named ${JSON.stringify(name)}`,
      });
    writes.add(name);
    docs.set(name, d);
  }
  return {
    mainDoc: change.main ?? state.mainDoc,
    docs: [...docs.values()],
    problems,
    writes,
    fromDisk: false,
  };
}

/** What a validated proposal changes against the current state. */
export function outcomeOf(
  state: StoreState,
  next: { main: MainConfig; policies: ReadonlyMap<string, VfPolicy> },
  proposal: Proposal,
): ChangeOutcome {
  const out: ChangeOutcome = {
    added: [],
    changed: [],
    unchanged: [],
    deleted: [],
    mainChanged: JSON.stringify(next.main) !== JSON.stringify(state.main),
  };
  for (const [name, p] of next.policies) {
    // An API change reports what it touched; a reload every VF it read.
    if (!proposal.fromDisk && !proposal.writes.has(name)) continue;
    const old = state.policies.get(name);
    if (!old) out.added.push(name);
    else if (JSON.stringify(old) !== JSON.stringify(p)) out.changed.push(name);
    else out.unchanged.push(name);
  }
  for (const name of state.policies.keys()) if (!next.policies.has(name)) out.deleted.push(name);
  return out;
}

/** One line for the audit log: `added a, b; deleted c`. */
export function describeOutcome(out: ChangeOutcome): string {
  const parts: string[] = [];
  if (out.added.length) parts.push(`added ${out.added.join(', ')}`);
  if (out.changed.length) parts.push(`changed ${out.changed.join(', ')}`);
  if (out.deleted.length) parts.push(`deleted ${out.deleted.join(', ')}`);
  if (out.unchanged.length) parts.push(`unchanged ${out.unchanged.join(', ')}`);
  if (out.mainChanged) parts.push('main config changed');
  return parts.join('; ') || 'nothing to change';
}
