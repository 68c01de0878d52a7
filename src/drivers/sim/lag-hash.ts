import type { XmitHashPolicy } from '../../model/index.js';
import type { FrameView } from './frame.js';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
const IPPROTO_UDPLITE = 136;

const hasPorts = (proto: number) =>
  proto === IPPROTO_TCP ||
  proto === IPPROTO_UDP ||
  proto === IPPROTO_SCTP ||
  proto === IPPROTO_UDPLITE;

/** A 32-bit word as the kernel's `memcpy(&u32, …)` reads it on a little-endian host. */
function le32(buf: Buffer, o: number): number {
  return (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0;
}

/**
 * `bond_eth_hash`: the last octets of both MACs and the ethertype. A VLAN tag is not part of
 * it (the kernel sees the tag as skb metadata, so `h_proto` is the ethertype inside).
 */
function ethHash(f: FrameView): number {
  return ((f.dstLo & 0xff) ^ (f.srcLo & 0xff) ^ f.etherType) >>> 0;
}

interface Flow {
  /** XOR of the source and destination address words (flow_get_u32_src ^ _dst). */
  addrs: number;
  /** The two L4 ports as one word (`flow.ports.ports`), 0 without them. */
  ports: number;
}

/** What the flow dissector finds for IPv4/IPv6 (null for anything else, or a short frame). */
function dissect(buf: Buffer, len: number, f: FrameView, flow: Flow): boolean {
  const l3 = f.headerLen;
  let proto: number;
  let l4: number;
  let fragment = false;
  if (f.etherType === ETH_P_IP) {
    if (len < l3 + 20) return false;
    const ihl = (buf[l3] & 0x0f) * 4;
    if (ihl < 20 || len < l3 + ihl) return false;
    proto = buf[l3 + 9];
    // Only the first fragment has ports, and the dissector gives none for any fragment.
    fragment = (((buf[l3 + 6] & 0x3f) << 8) | buf[l3 + 7]) !== 0;
    flow.addrs = (le32(buf, l3 + 12) ^ le32(buf, l3 + 16)) >>> 0;
    l4 = l3 + ihl;
  } else if (f.etherType === ETH_P_IPV6) {
    if (len < l3 + 40) return false;
    proto = buf[l3 + 6];
    // ipv6_addr_hash(): the XOR of the four words of each address.
    let a = 0;
    for (let o = l3 + 8; o < l3 + 40; o += 4) a ^= le32(buf, o);
    flow.addrs = a >>> 0;
    l4 = l3 + 40;
  } else return false;
  flow.ports = !fragment && hasPorts(proto) && len >= l4 + 4 ? le32(buf, l4) : 0;
  return true;
}

const scratch: Flow = { addrs: 0, ports: 0 };

/**
 * The bonding driver's transmit hash (`__bond_xmit_hash` and `bond_ip_hash` in
 * drivers/net/bonding/bond_main.c), so the sim spreads flows over the members as a kernel
 * bond would: layer2 hashes MACs and ethertype; layer2+3 adds the IP addresses; layer3+4
 * uses the L4 ports and IP addresses and drops the lowest bit (even ports are common).
 * Frames that are not IP fall back to the layer2 hash, as in the kernel. The member is
 * `hash % members`. `buf` must hold the frame's bytes (not a deferred tag insert).
 */
export function xmitHash(policy: XmitHashPolicy, buf: Buffer, len: number, f: FrameView): number {
  if (policy === 'layer2' || !dissect(buf, len, f, scratch)) return ethHash(f);
  let hash = policy === 'layer2+3' ? ethHash(f) : scratch.ports;
  hash = (hash ^ scratch.addrs) >>> 0;
  hash = (hash ^ (hash >>> 16)) >>> 0;
  hash = (hash ^ (hash >>> 8)) >>> 0;
  return policy === 'layer3+4' ? hash >>> 1 : hash;
}
