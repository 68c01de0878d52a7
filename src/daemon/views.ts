/** Builds the API's views from the daemon's parts; no driver calls (served from what it last observed). */

import type { PfInfo } from '../drivers/driver.js';
import type { PfView, VfView } from '../model/index.js';
import { type DesiredVf, emptyGuestState } from '../model/index.js';
import type { Observations } from './observations.js';
import type { Reconciler } from './reconciler.js';
import type { Credentials } from './store/credentials.js';
import type { StoreState } from './store/store.js';
import type { StatusBoard } from './vf-status.js';

export interface ViewSources {
  state: StoreState;
  reconciler: Reconciler;
  status: StatusBoard;
  observed: Observations;
  credentials: Credentials;
  pfInfo: ReadonlyMap<string, PfInfo>;
}

const byNameMemo = new WeakMap<object, Map<string, DesiredVf>>();

/** Desired VFs by name, built once per desired state (views of 2048 VFs stay linear). */
function desiredByName(src: ViewSources): Map<string, DesiredVf> {
  const desired = src.reconciler.desired(src.state);
  let m = byNameMemo.get(desired);
  if (!m) {
    m = new Map(desired.vfs.map((v) => [v.name, v]));
    byNameMemo.set(desired, m);
  }
  return m;
}

export function vfView(src: ViewSources, name: string): VfView | null {
  const policy = src.state.policies.get(name);
  if (!policy) return null;
  const desired = desiredByName(src).get(name)!;
  const observed = src.observed.vf(policy.pf, policy.vf);
  return {
    name,
    pf: policy.pf,
    vf: policy.vf,
    ...(observed?.pciAddr ? { pciAddr: observed.pciAddr } : {}),
    ...(observed?.netdev ? { netdev: observed.netdev } : {}),
    ...(observed?.switchPort ? { switchPort: observed.switchPort } : {}),
    policy,
    revision: src.state.revisions.get(name) ?? 0,
    status: src.status.get(name),
    guest: src.state.guests.get(name) ?? emptyGuestState(),
    desired: desired.settings,
    observed: observed?.settings ?? null,
    mirror: { desired: desired.mirror, observed: observed?.mirror ?? null },
    linkUp: observed?.linkUp ?? null,
    counters: src.observed.vfCounters(policy.pf, policy.vf),
    hasCredential: src.credentials.has(name),
  };
}

export function vfViews(src: ViewSources): VfView[] {
  return [...src.state.policies.keys()].map((n) => vfView(src, n)!);
}

export function pfViews(src: ViewSources): PfView[] {
  const policies = new Map(src.state.main.pfs.map((p) => [p.pf, p]));
  const names = new Map<string, string[]>();
  for (const p of src.state.policies.values())
    names.set(p.pf, [...(names.get(p.pf) ?? []), p.name]);
  return [...src.pfInfo.values()].map((info): PfView => {
    const o = src.observed.pf(info.id);
    const policy = policies.get(info.id) ?? null;
    return {
      id: info.id,
      driver: info.driver,
      ...(info.pciAddr ? { pciAddr: info.pciAddr } : {}),
      ...(info.netdev ? { netdev: info.netdev } : {}),
      managed: policy !== null,
      policy,
      totalVfs: o?.totalVfs ?? info.totalVfs,
      numVfs: o?.numVfs ?? info.numVfs,
      linkUp: o?.linkUp ?? false,
      linkSpeedMbps: o?.linkSpeedMbps ?? info.linkSpeedMbps,
      ...(info.numaNode !== undefined ? { numaNode: info.numaNode } : {}),
      mtu: o?.mtu ?? 0,
      loopback: o?.loopback ?? false,
      eswitchMode: o?.eswitchMode ?? 'legacy',
      trafficClasses: o?.trafficClasses ?? [],
      counters: src.observed.pfCounters(info.id),
      capabilities: info.capabilities,
      vfNames: names.get(info.id) ?? [],
    };
  });
}
