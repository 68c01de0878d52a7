/**
 * After a change is stored, bring the NIC along: give back VFs that lost their policy
 * (onStop first), forget what the daemon kept of deleted ones, re-apply PFs when the main
 * config changed, and reconcile every VF whose desired state moved (a share change on one
 * VF renormalises its neighbours, a moved VF changes its mirror sources); onStart runs once
 * a new VF is in sync. Every NIC write goes through the reconciler.
 */
import type { DesiredVf, VfPolicy } from '../model/index.js';
import type { DesiredState } from '../policy/desired.js';
import type { EventBus } from './events.js';
import type { GuestRequests } from './guest.js';
import type { Hooks } from './hooks.js';
import type { Logger } from './logger.js';
import { LockTimeoutError } from './mutex.js';
import type { Reconciler } from './reconciler.js';
import type { ChangeOutcome } from './store/store.js';

export interface SettleDeps {
  reconciler: Reconciler;
  guests: GuestRequests;
  hooks: Hooks;
  bus: EventBus;
  log: Logger;
}

/** What the daemon wanted before the change, to compare with what it wants after. */
export interface Before {
  desired: DesiredState;
  policies: ReadonlyMap<string, VfPolicy>;
}

function sameDesired(a: DesiredVf, b: DesiredVf): boolean {
  return JSON.stringify({ ...a, revision: 0 }) === JSON.stringify({ ...b, revision: 0 });
}

const slot = (v: { pf: string; vf: number }) => `${v.pf}\u0000${v.vf}`;

export async function settle(
  d: SettleDeps,
  before: Before,
  out: ChangeOutcome,
  policies: ReadonlyMap<string, VfPolicy>,
  after: DesiredState,
): Promise<void> {
  const { reconciler, bus, log, hooks } = d;
  const owned = new Set(after.vfs.map(slot));
  for (const v of before.desired.vfs) {
    if (owned.has(slot(v))) continue;
    // onStop runs before the VF is given back (bounded by daemon.hookTimeoutMs).
    const old = before.policies.get(v.name);
    // Hooks.run never rejects; the catch keeps it that way should it ever change: a hook
    // failure must not skip the release (the VF would stay configured for nobody).
    if (old)
      await hooks
        .run('onStop', old)
        .catch((err) => log.error({ err, vf: v.name }, 'onStop failed'));
    await reconciler.release(v);
  }
  for (const name of out.deleted) {
    reconciler.forget(name);
    d.guests.forget(name);
    bus.emit({ type: 'vfChanged', name, revision: null });
  }
  // A deleted VF's eswitch rules go, and the PF's shared rules stop sending it frames.
  const gone = new Set(
    before.desired.vfs.filter((v) => out.deleted.includes(v.name)).map((v) => v.pf),
  );
  const rulesMoved = (before.desired.eswitch ?? []).some((s) => gone.has(s.pf.id));
  if (out.mainChanged || rulesMoved)
    await reconciler.reconcilePfs(out.mainChanged ? 'main config changed' : 'VF policy deleted');
  const old = new Map(before.desired.vfs.map((v) => [v.name, v]));
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
  for (const name of out.added) {
    const p = policies.get(name);
    if (p && inSync.includes(name))
      hooks.run('onStart', p).catch((err) => log.error({ err, vf: name }, 'onStart failed'));
  }
}
