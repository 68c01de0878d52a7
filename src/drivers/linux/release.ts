import { describeRefusal } from './apply-vfs.js';
import type { PfEntry } from './pf-registry.js';
import type { Rtnl } from './rtnl.js';
import { changeOf, differingGroups, type KernelState } from './settings.js';
import type { SnapshotStore } from './snapshot.js';

/**
 * Puts back the settings a VF had before nicvisor first changed it (sriov-cni PR #417: from
 * the snapshot, not from what was set). Only what differs is sent — igb refuses even an
 * unchanged rate while its link is down — one attribute group per message, so one refusal
 * does not keep the rest from being restored. The snapshot is deleted only on success.
 */
export async function restoreVf(
  rtnl: Rtnl,
  snapshots: SnapshotStore,
  e: PfEntry,
  vf: number,
  now: KernelState | undefined,
): Promise<void> {
  const pf = e.sys.id;
  const snap = snapshots.get(pf, vf);
  if (!snap) return;
  const groups = differingGroups(snap.settings, now).filter(
    (g) => g !== 'linkState' || !e.caps.unsupportedVfFields.linkState,
  );
  const changes = groups.map((g) => ({
    ifindex: e.sys.ifindex,
    change: changeOf(vf, snap.settings, [g]),
  }));
  const acks = await rtnl.setVfs(changes);
  const errors: string[] = [];
  acks.forEach((ack, i) => {
    if (ack.errno !== 0) {
      errors.push(describeRefusal(pf, e.sys.netdev, e.sys.driver, changes[i].change, ack));
    }
  });
  if (errors.length > 0) {
    throw new Error(
      `restoring vf ${vf} from ${snapshots.dir}: ${errors.join('; ')}; the snapshot is kept, release again to retry`,
    );
  }
  await snapshots.remove(pf, vf);
}
