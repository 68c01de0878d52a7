/**
 * Operator changes: each is validated and written through the store's one commit path (all
 * or nothing), audited, then the NIC is brought along (settle.ts). A reload of the files is
 * one more such change.
 */
import type {
  ApplyResultView,
  AuditAction,
  AuditEntry,
  CredentialResult,
  DeleteResult,
  MirrorBody,
  PfPolicy,
  ReloadResult,
  ValidateBody,
  ValidateResult,
  VfPolicy,
} from '../model/index.js';
import { isRecord, ValidationError } from '../model/index.js';
import type { AuditLog } from './audit.js';
import { DaemonError, notFound } from './errors.js';
import type { EventBus } from './events.js';
import type { GuestRequests } from './guest.js';
import { hookProblems } from './hook-trust.js';
import type { Hooks } from './hooks.js';
import type { Logger } from './logger.js';
import { commitPfPolicy } from './pf-change.js';
import type { Reconciler } from './reconciler.js';
import { settle } from './settle.js';
import { describeOutcome } from './store/change.js';
import type { Change, ChangeOutcome, Seen, Store, StoreState } from './store/store.js';

interface Deps {
  hooks: Hooks;
  store: Store;
  reconciler: Reconciler;
  guests: GuestRequests;
  audit: AuditLog;
  bus: EventBus;
  log: Logger;
  /** The main config file PF changes are written to (null: the embedded demo). */
  configFile: string | null;
}

/** Who asked for a change and what, for the audit log. */
interface Asked {
  who: string;
  via: AuditEntry['via'];
  action: AuditAction;
  target: string;
  request: unknown;
  /** How a refusal starts: `change refused, nothing was written`. */
  refused: string;
  /** Told what was committed, before the NIC is brought along. */
  committed?: (out: ChangeOutcome) => void;
}

function apiDoc(data: unknown, name?: string) {
  const n = name ?? (isRecord(data) && typeof data.name === 'string' ? data.name : '?');
  return { file: `vfs/${n}`, data };
}

const api = (who: string, action: AuditAction, target: string, request: unknown): Asked => ({
  who,
  via: 'api',
  action,
  target,
  request,
  refused: 'change refused, nothing was written',
});

export class Mutations {
  private readonly d: Deps;

  constructor(deps: Deps) {
    this.d = deps;
  }

  /** The one commit path: write (or refuse), audit the answer, then converge the NIC. */
  private async commit(
    write: (seen: Seen) => Promise<ChangeOutcome>,
    asked: Asked,
  ): Promise<ChangeOutcome> {
    const { reconciler, audit } = this.d;
    const { refused, committed, ...entry } = asked;
    // Both snapshots are taken in the store's critical section: one taken before waiting
    // for it would count every change queued ahead as this one's, and re-apply those VFs
    // (under 50 clients that convoy made guest requests time out on their VF locks).
    let states: [StoreState, StoreState] | null = null;
    let out: ChangeOutcome;
    try {
      out = await write((before, after) => {
        states = [before, after];
      });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      audit.record({ ...entry, result: 'refused', reason: err.message });
      throw new DaemonError('refused', `${refused}: ${err.message}`, err.problems);
    }
    audit.record({ ...entry, result: 'ok', reason: describeOutcome(out) });
    committed?.(out);
    const [was, now] = states ?? [this.d.store.state(), this.d.store.state()];
    const before = { desired: reconciler.desired(was), policies: was.policies };
    await settle(this.d, before, out, now.policies, reconciler.desired(now));
    return out;
  }

  /**
   * Commit a change whose hook programs root may run; otherwise refuse it with those
   * problems and every other one the change has (all at once, nothing written).
   */
  private async vetted(change: Change, seen: Seen): Promise<ChangeOutcome> {
    const hooks = await hookProblems(change.put ?? []);
    if (hooks.length > 0)
      throw new ValidationError([...this.d.store.validateChange(change), ...hooks]);
    return this.d.store.commit(change, seen);
  }

  /** Add or replace one VF policy (the caller checked its shape and its name). */
  async putVf(
    policy: VfPolicy,
    who: string,
  ): Promise<{ changed: boolean; revision: number | null }> {
    const change = { put: [apiDoc(policy, policy.name)] };
    const out = await this.commit(
      (seen) => this.vetted(change, seen),
      api(who, 'policy.put', policy.name, policy),
    );
    return this.putResult(out, policy.name);
  }

  /** What a PUT of one VF answers: whether anything changed and the revision now stored. */
  private putResult(
    out: { unchanged: string[] },
    name: string,
  ): { changed: boolean; revision: number | null } {
    return {
      changed: out.unchanged.length === 0,
      revision: this.d.store.state().revisions.get(name) ?? null,
    };
  }

  async apply(
    vfs: readonly VfPolicy[],
    del: readonly string[],
    who: string,
  ): Promise<ApplyResultView> {
    const change = { put: vfs.map((v) => apiDoc(v)), delete: [...del] };
    const out = await this.commit(
      (seen) => this.vetted(change, seen),
      api(who, 'policy.apply', '*', { vfs: vfs.length, delete: del }),
    );
    const { added, changed, unchanged, deleted } = out;
    return { added, changed, unchanged, deleted };
  }

  async deleteVf(name: string, who: string): Promise<DeleteResult> {
    if (!this.d.store.state().policies.has(name)) throw notFound(name);
    await this.commit(
      (seen) => this.d.store.commit({ delete: [name] }, seen),
      api(who, 'policy.delete', name, null),
    );
    return { deleted: name };
  }

  async setMirror(
    name: string,
    body: MirrorBody | null,
    who: string,
  ): Promise<{ changed: boolean; revision: number | null }> {
    const policy = this.d.store.state().policies.get(name);
    if (!policy) throw notFound(name);
    const { mirror: _old, ...rest } = policy;
    const change = { put: [apiDoc(body ? { ...rest, mirror: body } : rest, name)] };
    const out = await this.commit(
      (seen) => this.d.store.commit(change, seen),
      api(who, body ? 'mirror.set' : 'mirror.clear', name, body),
    );
    return this.putResult(out, name);
  }

  /** Add or replace one PF's policy in the main config (pf-change.ts). */
  async putPf(policy: PfPolicy, who: string): Promise<{ changed: boolean }> {
    const out = await this.commit(
      () => commitPfPolicy(this.d.store, this.d.configFile, policy),
      api(who, 'pf.put', policy.pf, policy),
    );
    return { changed: out.mainChanged };
  }

  async issueCredential(name: string, who: string): Promise<CredentialResult> {
    if (!this.d.store.state().policies.has(name)) throw notFound(name);
    const token = await this.d.store.credentials.issue(name);
    this.d.audit.record({
      who,
      via: 'api',
      action: 'credential.issue',
      target: name,
      request: null,
      result: 'ok',
      reason: 'guest credential issued (any previous one is void)',
    });
    return { name, token };
  }

  /** Re-read the files and adopt them as one change (the same commit path as the API's). */
  async reload(who: string): Promise<ReloadResult> {
    const result = (out: ChangeOutcome): ReloadResult => ({
      added: out.added,
      removed: out.deleted,
      changed: out.changed,
      mainChanged: out.mainChanged,
    });
    const out = await this.commit((seen) => this.d.store.reload(seen), {
      who,
      via: 'reload',
      action: 'reload',
      target: '*',
      request: null,
      refused: 'reload refused, the running configuration is unchanged',
      committed: (o) => {
        const { mainChanged: _, ...lists } = result(o);
        this.d.bus.emit({ type: 'reload', ...lists });
      },
    });
    return result(out);
  }

  async dryRun(body: ValidateBody): Promise<ValidateResult> {
    const r = this.validate(body);
    const hooks = await hookProblems(((body.vfs ?? []) as unknown[]).map((v) => apiDoc(v)));
    const problems = [...r.problems, ...hooks];
    return { ok: problems.length === 0, problems };
  }

  /**
   * The fleet agent's change: the host's share of the fleet's desired state as one commit
   * (VF puts and deletes, the main config with the fleet's PF policies), on the same path.
   */
  applyFleet(change: Change, who: string, request: unknown): Promise<ChangeOutcome> {
    return this.commit(() => this.d.store.commit(change), {
      who,
      via: 'daemon',
      action: 'fleet.sync',
      target: '*',
      request,
      refused: 'fleet change refused, nothing was written',
    });
  }

  validate(body: ValidateBody): ValidateResult {
    const vfs = (body.vfs ?? []) as unknown[];
    const problems = this.d.store.validateChange({
      put: vfs.map((v) => apiDoc(v)),
      delete: body.delete ?? [],
      ...(body.main !== undefined
        ? { main: { file: '(proposed main config)', data: body.main } }
        : {}),
    });
    return { ok: problems.length === 0, problems };
  }
}
