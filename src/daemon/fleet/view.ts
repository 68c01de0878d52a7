/** The fleet as `fleet status` and the API show it: every host known by registration or status. */
import type { FleetHostSummary, FleetHostsView, FleetView } from '../../model/fleet.js';
import type { FleetBackend } from './backend.js';

export async function fleetView(b: FleetBackend): Promise<FleetView> {
  const [snap, regs, statuses, rollout] = await Promise.all([
    b.snapshot(),
    b.hosts(),
    b.statuses(),
    b.rollout(),
  ]);
  const reg = new Map(regs.map((r) => [r.host, r]));
  const st = new Map(statuses.map((s) => [s.host, s]));
  const names = [...new Set([...reg.keys(), ...st.keys()])].sort();
  return {
    revision: snap.revision,
    hosts: names.map((host) => ({
      host,
      online: reg.has(host),
      labels: reg.get(host)?.labels ?? {},
      status: st.get(host) ?? null,
    })),
    rollout: rollout.record,
  };
}

/** The hosts as `GET /v1/fleet/hosts` serves them: health and a per-VF sync summary. */
export function hostSummaries(v: FleetView): FleetHostsView {
  return {
    revision: v.revision,
    hosts: v.hosts.map((h): FleetHostSummary => {
      const s = h.status;
      const vfs: FleetHostSummary['vfs'] = {};
      for (const x of Object.values(s?.vfs ?? {})) vfs[x.syncState] = (vfs[x.syncState] ?? 0) + 1;
      return {
        host: h.host,
        labels: h.labels,
        online: h.online,
        health: s?.syncState ?? null,
        connected: s?.connected ?? null,
        revision: s?.revision ?? null,
        lastSyncAt: s?.lastSyncAt ?? null,
        vfs,
        owned: Object.values(s?.vfs ?? {}).filter((x) => x.owned).length,
        refused: (s?.refused ?? []).map((r) => r.doc),
        lagMs: s?.lagMs ?? null,
      };
    }),
  };
}
