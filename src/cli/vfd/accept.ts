/**
 * Whether VFd itself would have added a VF file (vfd_rif.c vfd_add_vf, in the order VFd read
 * its config directory): the importer carries over what VFd ran, and reports a file VFd
 * refused with VFd's own reason instead of inventing a policy VFd never enforced.
 */
import type { ImportedVf } from './vf-config.js';

/** sriov.h limits. */
const MAX_VF_VLANS = 64;
const MAX_PF_VLANS = 64;
const MAX_VF_MACS = 64;
const MAX_PF_MACS = 128;
/** vfd_add_vf: "vfid %d is out of range" above 31. */
const MAX_VFID = 31;

interface PortState {
  vfids: Set<number>;
  minRate: number;
  vlans: number;
  macs: Set<string>;
}

/** Checks one VF against the PFs VFd knew and the VFs it had already added; records it. */
export class VfdAcceptance {
  private readonly ports = new Map<string, PortState>();

  constructor(pfIds: readonly string[]) {
    for (const id of pfIds)
      this.ports.set(id, { vfids: new Set(), minRate: 0, vlans: 0, macs: new Set() });
  }

  /** VFd's reason for refusing the file, or null when VFd added the VF (then it counts). */
  admit(v: ImportedVf): string | null {
    const { vfid, pciid, vlans, macs, minRate } = v.vfd;
    if (pciid === null || vfid < 0) return 'unable to read or parse config file (no pciid or vfid)';
    const port = this.ports.get(pciid);
    if (!port) return `could not find port ${pciid} in the config`;
    if (port.vfids.has(vfid)) return `vfid ${vfid} already exists on port ${pciid}`;
    if (vfid > MAX_VFID) return `vfid ${vfid} is out of range (0-${MAX_VFID})`;
    if (minRate + port.minRate > 1) return 'total guaranteed rate exceeds link speed';
    if (vlans.length > MAX_VF_VLANS)
      return `number of vlans supplied (${vlans.length}) exceeds the maximum (${MAX_VF_VLANS})`;
    if (vlans.length + port.vlans > MAX_PF_VLANS)
      return `number of vlans supplied (${vlans.length}) causes total for PF to exceed the maximum (${MAX_PF_VLANS})`;
    if (vlans.length === 0) return 'vlan id list is empty; it must contain at least one id';
    for (const [i, id] of vlans.entries()) {
      if (!Number.isInteger(id) || id < 1 || id > 4095) return `invalid vlan id: ${id}`;
      if (vlans.indexOf(id) !== i) return `duplicate vlan in list: ${id}`;
    }
    if (macs.length > MAX_VF_MACS)
      return `too many mac addresses given: ${macs.length} > limit of ${MAX_VF_MACS}`;
    const lower = macs.map((m) => m.toLowerCase());
    for (const m of lower) {
      if (
        !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(m) ||
        port.macs.has(m) ||
        port.macs.size + 1 > MAX_PF_MACS
      )
        return `mac cannot be added to this port (invalid, inuse, or max exceeded for VF): mac=(${m})`;
    }
    for (const [key, cb] of [
      ['start_cb', v.vfd.startCb],
      ['stop_cb', v.vfd.stopCb],
    ] as const)
      if (cb?.includes(';')) return `${key} command contains invalid character: ;`;
    if (v.mirror && (v.mirror.target === vfid || v.mirror.target > MAX_VFID))
      return `mirror target is out of range or is the same as this VF (${vfid}): target=${v.mirror.target}`;
    port.vfids.add(vfid);
    port.minRate += minRate;
    port.vlans += vlans.length;
    for (const m of lower) port.macs.add(m);
    return null;
  }
}
