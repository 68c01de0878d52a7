import type { VlanProto } from '../../model/index.js';
import type { VfView } from './view.js';

/**
 * Tag classes: what the switch needs to know about a frame's outer tag to decide which VFs
 * take it. `proto: null` is a frame with no VLAN tag at all; `vid: null` any VID of that
 * protocol no VF is a member of. A tag of the other protocol is no outer tag for a VF (an
 * 802.1ad VF sees an 802.1Q-tagged frame as untagged: QinQ).
 */
export interface TagClass {
  proto: VlanProto | null;
  vid: number | null;
}

/** Chains of every port: source checks, VLAN checks, transmit actions, class dispatch. */
export const CHAIN_SOURCE = 0;
export const CHAIN_VLAN = 1;
export const CHAIN_TX = 2;
export const CHAIN_FORWARD = 3;

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
  return c.vid === null ? `other ${c.proto} VLANs` : `VLAN ${c.vid} (${c.proto})`;
}

/** The receive filter of the VEB: does VF `x` take frames of class `c`? */
export function accepts(x: VfView, c: TagClass): boolean {
  if (x.mode === 'transparent') return true;
  if (x.mode === 'untagged') return c.proto !== x.proto;
  return c.proto === x.proto && c.vid !== null && x.vlanSet.has(c.vid);
}

/** Every class that some VF treats differently from the rest, specific VIDs first. */
export function pfClasses(vfs: readonly VfView[]): TagClass[] {
  const out: TagClass[] = [];
  for (const proto of ['802.1Q', '802.1ad'] as const) {
    const vids = new Set<number>();
    for (const x of vfs) if (x.proto === proto) for (const v of x.vlans) vids.add(v);
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
 * The classes of the frames a VF can hand to the switch once its VLAN checks passed:
 * a port VLAN always carries its VLAN (the NIC's tag is outermost); with VLAN anti-spoof a
 * trunk sends only its VLANs and an untagged VF nothing tagged with its protocol.
 */
export function emittedClasses(src: VfView, all: readonly TagClass[]): TagClass[] {
  if (src.mode === 'port') return [classOf(all, src.proto, src.vlans[0])];
  if (!src.vlanAntiSpoof) return [...all];
  if (src.mode === 'trunk') return [...new Set(src.vlans.map((v) => classOf(all, src.proto, v)))];
  if (src.mode === 'untagged') return all.filter((c) => c.proto !== src.proto);
  return [...all];
}
