/**
 * Is a claim's owner still there? The checks the leak sweeper runs (sriov-cni#349/#126: a
 * VF left behind when the pod's network namespace vanished). Roots are passed in so tests
 * use a fake /proc; each check says what it looked at.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Claim } from '../../model/index.js';
import type { VmProbe } from './vm-probe.js';

export interface OwnerRoots {
  /** Where procfs is mounted (default /proc). */
  proc: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The start time of a process (field 22 of `/proc/PID/stat`, in clock ticks since boot):
 * with the pid it names one process for good, so a reused pid is not taken for the owner.
 * Null when the process does not exist.
 */
export async function processStart(roots: OwnerRoots, pid: number): Promise<string | null> {
  let stat: string;
  try {
    stat = await readFile(join(roots.proc, String(pid), 'stat'), 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) is in parentheses and may hold spaces: split after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? null;
}

/**
 * How the sweeper checks `vm` owners: the probe, the claims whose domain it has seen
 * running, and how long a claim may wait for its domain to start (a VM's claim comes before
 * the domain does: its XML needs the claim's MAC and PCI address).
 */
export interface VmCheck {
  probe: VmProbe;
  seen: Set<string>;
  startGraceMs: number;
}

/** Why the owner of a claim is gone, or null while it is there. */
export async function ownerGone(
  claim: Claim,
  nowMs: number,
  roots: OwnerRoots,
  vm?: VmCheck,
): Promise<string | null> {
  if (claim.leaseExpires && Date.parse(claim.leaseExpires) < nowMs)
    return `lease expired at ${claim.leaseExpires}`;
  if (claim.netns && !(await exists(claim.netns)))
    return `network namespace ${claim.netns} is gone`;
  if (claim.pid !== undefined) {
    const start = await processStart(roots, claim.pid);
    if (start === null) return `process ${claim.pid} is dead`;
    if (claim.pidStart && start !== claim.pidStart)
      return `process ${claim.pid} is dead (the pid now belongs to another process)`;
  }
  if (claim.owner.kind === 'vm' && vm) {
    const running = await vm.probe.running(claim.owner.id);
    if (running) vm.seen.add(claim.id);
    else if (running === false) {
      if (vm.seen.has(claim.id))
        return `libvirt domain ${claim.owner.id} is not running any more (${vm.probe.name})`;
      if (nowMs - Date.parse(claim.since) > vm.startGraceMs)
        return `libvirt domain ${claim.owner.id} is not running, ${Math.round(vm.startGraceMs / 1000)} s after the claim (${vm.probe.name})`;
    }
  }
  return null;
}
