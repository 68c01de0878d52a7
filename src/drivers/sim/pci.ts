/**
 * Stable PCI-like addresses for the sim's PFs and VFs, laid out as an SR-IOV NIC is: each
 * NIC gets its own bus with its ports as functions 0, 1, … of device 0 (`0000:10:00.1`), and
 * each PF's VFs follow at routing ID = PF RID + First VF Offset + index × VF Stride (PCIe
 * SR-IOV spec §9.3.3.9-10), on the buses after the PF's, as a real NIC with ARI places them.
 * The same config always gives the same addresses, so `pciAddr` labels and joins on it
 * (sriov-network-metrics-exporter's `sriov_kubepoddevice`) stay stable across restarts.
 */
import type { SimPf } from './pf.js';

/** Bus of the first simulated NIC (away from 00, where hosts keep their chipset). */
const FIRST_BUS = 0x10;

export interface SimPciLayout {
  pf: string;
  /** Routing ID of VF 0; VF i is at vf0 + i (stride 1). */
  vf0: number;
}

/** `DDDD:BB:DD.F` from a routing ID (the domain carries what does not fit 16 bits). */
export function formatRid(rid: number): string {
  const domain = Math.floor(rid / 0x10000);
  const bus = (rid >> 8) & 0xff;
  const dev = (rid >> 3) & 0x1f;
  const fn = rid & 0x7;
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(dev, 2)}.${fn}`;
}

/** Addresses of every PF, NIC by NIC in the order the NICs were configured. */
export function simPciLayout(pfs: readonly SimPf[]): Map<string, SimPciLayout> {
  const byNic = new Map<string, SimPf[]>();
  for (const pf of pfs) byNic.set(pf.spec.nic, [...(byNic.get(pf.spec.nic) ?? []), pf]);
  const out = new Map<string, SimPciLayout>();
  let bus = FIRST_BUS;
  for (const ports of byNic.values()) {
    const nicRid = bus << 8;
    // The VFs of all ports, one after the other, starting on the next bus.
    let vfRid = nicRid + 0x100;
    for (const pf of [...ports].sort((a, b) => a.spec.port - b.spec.port)) {
      out.set(pf.id, { pf: formatRid(nicRid + pf.spec.port), vf0: vfRid });
      vfRid += pf.spec.totalVfs;
    }
    bus = (vfRid >> 8) + 1;
  }
  return out;
}

export function vfPciAddr(layout: SimPciLayout, index: number): string {
  return formatRid(layout.vf0 + index);
}
