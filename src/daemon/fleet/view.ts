/** The fleet as `fleet status` and the API show it: every host known by registration or status. */
import type { FleetView } from '../../model/fleet.js';
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
