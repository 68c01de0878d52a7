/**
 * Operator changes: validate + write through the store (all or nothing), audit the answer,
 * then bring the NIC along — release VFs that lost their policy, re-apply PFs when the main
 * config changed, and reconcile every VF whose desired state moved (a share change on one
 * VF renormalises its neighbours, a moved VF changes its mirror sources).
 */
import type {
  ApplyBody,
  ApplyResultView,
  AuditAction,
  CredentialResult,
  DeleteResult,
  MirrorBody,
  ReloadResult,
  ValidateBody,
  ValidateResult,
} from '../api/types.js';
import { type DesiredVf, ValidationError, type VfPolicy, vfKey } from '../model/index.js';
import type { DesiredState } from '../policy/desired.js';
import type { AuditLog } from './audit.js';
import type { CountingDriver } from './counting-driver.js';
import { DaemonError, notFound } from './errors.js';
import type { EventBus } from './events.js';
import type { GuestRequests } from './guest.js';
import type { Hooks } from './hooks.js';
import type { Logger } from './logger.js';
import { type KeyedLock, LockTimeoutError } from './mutex.js';
import { type Reconciler, vfLockKey } from './reconciler.js';
import type { Change, ChangeOutcome, Store } from './store.js';

interface Deps {
  hooks: Hooks;
  store: Store;
  driver: CountingDriver;
  reconciler: Reconciler;
  guests: GuestRequests;
  locks: KeyedLock;
  audit: AuditLog;
  bus: EventBus;
  log: Logger;
}

function sameDesired(a: DesiredVf, b: DesiredVf): boolean {
  return JSON.stringify({ ...a, revision: 0 }) === JSON.stringify({ ...b, revision: 0 });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function apiDoc(data: unknown, name?: string) {
  const n = name ?? (isObject(data) && typeof data.name === 'string' ? data.name : '?');
  return { file: `vfs/${n}`, data };
}

export class Mutations {
  private readonly d: Deps;

  constructor(deps: Deps) {
    this.d = deps;
  }

  private refuse(
    err: unknown,
    who: string,
    action: AuditAction,
    target: string,
    request: unknown,
  ): never {
    if (err instanceof ValidationError) {
      this.d.audit.record({
        who,
        via: 'api',
        action,
        target,
        request,
        result: 'refused',
        reason: err.message,
      });
      throw new DaemonError(
        422,
        `change refused, nothing was written: ${err.message}`,
        err.problems,
      );
    }
    throw err;
  }

  /** Write a change, audit it, then converge the NIC. */
  private async commit(
    change: Change,
    who: string,
    action: AuditAction,
    target: string,
    request: unknown,
  ): Promise<ChangeOutcome> {
    const before = this.d.reconciler.desired();
    const prev = this.d.store.state().policies;
    let out: ChangeOutcome;
    try {
      out = await this.d.store.apply(change);
    } catch (err) {
      this.refuse(err, who, action, target, request);
    }
    const summary = describe(out);
    this.d.audit.record({
      who,
      via: 'api',
      action,
      target,
      request,
      result: 'ok',
      reason: summary,
    });
    await this.settle(before, out, prev);
    return out;
  }

  private async settle(
    before: DesiredState,
    out: ChangeOutcome,
    prev: ReadonlyMap<string, VfPolicy>,
  ): Promise<void> {
    const { reconciler, driver, locks, bus, log, hooks } = this.d;
    const after = reconciler.desired();
    const owned = new Set(after.vfs.map((v) => vfKey(v.pf, v.vf)));
    for (const v of before.vfs) {
      if (owned.has(vfKey(v.pf, v.vf))) continue;
      // onStop runs before the VF is given back (bounded by daemon.hookTimeoutMs).
      const old = prev.get(v.name);
      if (old) await hooks.run('onStop', old);
      // Give the VF back (restore its snapshot) under its old owner's lock.
      await locks
        .run([vfLockKey(v.name)], () => driver.release(v.pf, v.vf))
        .catch((err) => {
          log.error({ err, vf: v.name }, 'releasing the VF failed; it keeps its last settings');
        });
    }
    for (const name of out.deleted) {
      reconciler.forget(name);
      this.d.guests.forget(name);
      bus.emit({ type: 'vfChanged', name, revision: null });
    }
    // A deleted VF's eswitch rules go, and the PF's shared rules stop sending it frames.
    const gone = new Set(before.vfs.filter((v) => out.deleted.includes(v.name)).map((v) => v.pf));
    const rulesMoved = (before.eswitch ?? []).some((s) => gone.has(s.pf.id));
    if (out.mainChanged || rulesMoved)
      await reconciler.reconcilePfs(out.mainChanged ? 'main config changed' : 'VF policy deleted');
    const old = new Map(before.vfs.map((v) => [v.name, v]));
    const moved = after.vfs.filter((v) => {
      const o = old.get(v.name);
      return !o || !sameDesired(o, v) || out.mainChanged;
    });
    for (const v of moved) bus.emit({ type: 'vfChanged', name: v.name, revision: v.revision });
    // The change is already stored: a busy VF (lock timeout) is left to the drift loop
    // rather than turning an acknowledged change into an error.
    const inSync = await reconciler
      .reconcileVfs(
        moved.map((v) => v.name),
        'policy change',
      )
      .catch((err): string[] => {
        if (!(err instanceof LockTimeoutError)) throw err;
        log.warn({ err: err.message }, 'VF busy; the drift loop will apply the stored change');
        return [];
      });
    // onStart runs once a new VF is configured; in the background, so a slow hook does not
    // hold up the API answer (its outcome goes to the log).
    const policies = this.d.store.state().policies;
    for (const name of out.added) {
      const p = policies.get(name);
      if (p && inSync.includes(name)) void hooks.run('onStart', p);
    }
  }

  async putVf(
    name: string,
    body: unknown,
    who: string,
  ): Promise<{ changed: boolean; revision: number | null }> {
    if (!isObject(body)) {
      const message = `PUT /v1/vfs/${name}: the body must be a JSON object holding a VF policy`;
      throw new DaemonError(400, message, [
        {
          file: `vfs/${name}`,
          field: '(body)',
          value: Array.isArray(body) ? 'array' : body === null ? null : typeof body,
          allowed: 'a JSON object (a VF policy), sent as application/json',
          fix: 'send the policy object itself',
          message,
        },
      ]);
    }
    if (body.name !== undefined && body.name !== name) {
      throw new DaemonError(
        422,
        `policy name ${JSON.stringify(body.name)} does not match the path name "${name}"`,
        [
          {
            file: `vfs/${name}`,
            field: 'name',
            value: body.name,
            allowed: `"${name}" or absent`,
            fix: 'make the body name match the URL',
            message: 'name in body and path differ',
          },
        ],
      );
    }
    const out = await this.commit(
      { put: [apiDoc({ ...body, name }, name)] },
      who,
      'policy.put',
      name,
      body,
    );
    return this.putResult(out, name);
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

  async apply(body: ApplyBody, who: string): Promise<ApplyResultView> {
    const vfs = (body.vfs ?? []) as unknown[];
    const del = body.delete ?? [];
    const out = await this.commit(
      { put: vfs.map((v) => apiDoc(v)), delete: del },
      who,
      'policy.apply',
      '*',
      { vfs: vfs.length, delete: del },
    );
    return {
      added: out.added,
      changed: out.changed,
      unchanged: out.unchanged,
      deleted: out.deleted,
    };
  }

  async deleteVf(name: string, who: string): Promise<DeleteResult> {
    if (!this.d.store.state().policies.has(name)) throw notFound(name);
    await this.commit({ delete: [name] }, who, 'policy.delete', name, null);
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
    const data = body ? { ...rest, mirror: body } : rest;
    const out = await this.commit(
      { put: [apiDoc(data, name)] },
      who,
      body ? 'mirror.set' : 'mirror.clear',
      name,
      body,
    );
    return this.putResult(out, name);
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

  async reload(who: string): Promise<ReloadResult> {
    const before = this.d.reconciler.desired();
    const prev = this.d.store.state().policies;
    let out: ChangeOutcome;
    try {
      out = await this.d.store.reload();
    } catch (err) {
      if (err instanceof ValidationError) {
        this.d.audit.record({
          who,
          via: 'reload',
          action: 'reload',
          target: '*',
          request: null,
          result: 'refused',
          reason: err.message,
        });
        throw new DaemonError(
          422,
          `reload refused, the running configuration is unchanged: ${err.message}`,
          err.problems,
        );
      }
      throw err;
    }
    this.d.audit.record({
      who,
      via: 'reload',
      action: 'reload',
      target: '*',
      request: null,
      result: 'ok',
      reason: describe(out),
    });
    const res = {
      added: out.added,
      removed: out.deleted,
      changed: out.changed,
      mainChanged: out.mainChanged,
    };
    this.d.bus.emit({
      type: 'reload',
      added: res.added,
      removed: res.removed,
      changed: res.changed,
    });
    await this.settle(before, out, prev);
    return res;
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

function describe(out: ChangeOutcome): string {
  const parts: string[] = [];
  if (out.added.length) parts.push(`added ${out.added.join(', ')}`);
  if (out.changed.length) parts.push(`changed ${out.changed.join(', ')}`);
  if (out.deleted.length) parts.push(`deleted ${out.deleted.join(', ')}`);
  if (out.unchanged.length) parts.push(`unchanged ${out.unchanged.join(', ')}`);
  if (out.mainChanged) parts.push('main config changed');
  return parts.join('; ') || 'nothing to change';
}
