import type { VlanProto } from '../../model/index.js';
import type { VfView } from './view.js';

/**
 * Tag classes: what the switch needs to know about a frame's outer tag to decide which
 * ports take it. `proto: null` is a frame with no VLAN tag at all; `vid: null` any VID of
 * that protocol no port is a member of; VID 0 is a priority tag. A tag of the other
 * protocol is no VLAN tag for a port (an 802.1ad port sees an 802.1Q-tagged frame as
 * untagged: QinQ).
 */
export interface TagClass {
  proto: VlanProto | null;
  vid: number | null;
}

/** Chains of a VF's port: source MAC, VLAN, length, transmit actions, class dispatch. */
export const CHAIN_SOURCE = 0;
export const CHAIN_VLAN = 1;
export const CHAIN_LENGTH = 2;
export const CHAIN_TX = 3;
export const CHAIN_FORWARD = 4;

const CHAIN_BASE: Record<VlanProto, number> = { '802.1Q': 0x1000, '802.1ad': 0x2000 };
const CHAIN_UNTAGGED = 0x3000;
/** The chain of "any other VID" of a protocol: one past the last VID. */
const OTHER_VID = 0xfff;

/** Forwarding chain of a class: 0x1000 + VID for 802.1Q, 0x2000 + VID for 802.1ad, 0x3000 untagged. */
export function classChain(c: TagClass): number {
  if (c.proto === null) return CHAIN_UNTAGGED;
  return CHAIN_BASE[c.proto] + (c.vid ?? OTHER_VID);
}

export function classLabel(c: TagClass): string {
  if (c.proto === null) return 'untagged';
  if (c.vid === 0) return `priority-tagged (${c.proto})`;
  return c.vid === null ? `other ${c.proto} VLANs` : `VLAN ${c.vid} (${c.proto})`;
}

/**
 * The VLAN filter of the VEB: a port VLAN takes only its VLAN; any other port untagged and
 * priority-tagged frames and its member VIDs.
 */
export function accepts(x: VfView, c: TagClass): boolean {
  if (x.mode === 'port') return c.proto === x.proto && c.vid === x.vlans[0];
  return c.proto !== x.proto || c.vid === 0 || (c.vid !== null && x.vlanSet.has(c.vid));
}

/** Whether a delivery of class `c` to `x` loses its tag: a member VLAN of x's protocol. */
export function popsFor(x: VfView, c: TagClass): boolean {
  return x.strip && c.proto === x.proto && c.vid !== null && c.vid !== 0;
}

/** Every class some port treats differently from the rest: specific VIDs first. */
export function pfClasses(ports: readonly VfView[]): TagClass[] {
  const out: TagClass[] = [];
  for (const proto of ['802.1Q', '802.1ad'] as const) {
    const vids = new Set<number>([0]);
    for (const x of ports) if (x.proto === proto) for (const v of x.vlans) vids.add(v);
    for (const vid of [...vids].sort((a, b) => a - b)) out.push({ proto, vid });
    out.push({ proto, vid: null });
  }
  out.push({ proto: null, vid: null });
  return out;
}

/** The class a frame with this outer tag belongs to. */
export function classOf(all: readonly TagClass[], proto: VlanProto, vid: number): TagClass {
  return (
    all.find((c) => c.proto === proto && c.vid === vid) ??
    all.find((c) => c.proto === proto && c.vid === null)!
  );
}

/**
 * The classes of the frames a VF can hand to the switch once its VLAN checks passed: a port
 * VLAN always carries its VLAN (the NIC's tag is outermost); with VLAN anti-spoof any other
 * VF sends exactly what its filter would take.
 */
export function emittedClasses(src: VfView, all: readonly TagClass[]): TagClass[] {
  if (src.mode === 'port') return [classOf(all, src.proto, src.vlans[0])];
  if (!src.vlanAntiSpoof) return [...all];
  return all.filter((c) => accepts(src, c));
}
