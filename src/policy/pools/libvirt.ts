/**
 * libvirt XML for claims and pools, pure. A claim becomes the domain's
 * `<interface type='hostdev' managed='yes'>` (MAC, the VF's PCI address, the port VLAN,
 * `<teaming>` for a migratable pool's failover leg); a pool becomes a `<network>` with
 * `<forward mode='hostdev'>` listing its exact member addresses. The tests validate both
 * with libvirt's own schemas (virt-xml-validate).
 */
import type { Claim, Pool } from '../../model/index.js';

export interface PciAddress {
  domain: string;
  bus: string;
  slot: string;
  function: string;
}

/** `0000:08:10.2` → its parts as libvirt writes them (`0x0000`, `0x08`, `0x10`, `0x2`). */
export function parsePci(addr: string): PciAddress | null {
  const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-1][0-9a-fA-F])\.([0-7])$/.exec(addr);
  if (!m) return null;
  return { domain: `0x${m[1]}`, bus: `0x${m[2]}`, slot: `0x${m[3]}`, function: `0x${m[4]}` };
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function addressXml(a: PciAddress): string {
  return `<address type='pci' domain='${a.domain}' bus='${a.bus}' slot='${a.slot}' function='${a.function}'/>`;
}

export class LibvirtXmlError extends Error {}

/**
 * The `<interface>` element of a claim. `peer` is the alias (`ua-…`) of the persistent
 * virtio interface the VF fails over to during a migration; it is only used for migratable
 * pools, where the hostdev leg is the transient member of the team.
 */
export function interfaceXml(claim: Claim, pool: Pool, peer?: string): string {
  const a = claim.pciAddr ? parsePci(claim.pciAddr) : null;
  if (!a)
    throw new LibvirtXmlError(
      `claim ${claim.id}: vf ${claim.vf} on ${claim.pf} has no PCI address${claim.pciAddr ? ` (${claim.pciAddr} is not one)` : ''}; libvirt needs a real VF (the sim NIC has none)`,
    );
  if (peer !== undefined && !/^ua-[A-Za-z0-9_-]{1,60}$/.test(peer))
    throw new LibvirtXmlError(
      `failover peer ${JSON.stringify(peer)} is not a user alias: use ua-NAME`,
    );
  const lines = [
    `<interface type='hostdev' managed='yes'>`,
    `  <mac address='${claim.mac}'/>`,
    `  <driver name='vfio'/>`,
    `  <source>`,
    `    ${addressXml(a)}`,
    `  </source>`,
  ];
  // libvirt programs the VF's VLAN itself for hostdev interfaces, and accepts only one tag
  // (no trunk): a port VLAN is written, a trunk stays nicvisor's VLAN filter alone.
  const p = pool.profile;
  if (p.vlans.length === 1 && p.stripOuterTag)
    lines.push(`  <vlan>`, `    <tag id='${p.vlans[0]}'/>`, `  </vlan>`);
  if (pool.migratable && peer)
    lines.push(`  <teaming type='transient' persistent='${xmlEscape(peer)}'/>`);
  lines.push(`  <alias name='ua-${xmlEscape(claim.id)}'/>`, `</interface>`);
  return `${lines.join('\n')}\n`;
}

/** The pool as a libvirt network: hostdev forwarding over exactly its member VFs. */
export function networkXml(pool: Pool, members: readonly { pciAddr?: string }[]): string {
  const addrs = members.flatMap((m) => {
    const a = m.pciAddr ? parsePci(m.pciAddr) : null;
    return a ? [a] : [];
  });
  if (addrs.length === 0)
    throw new LibvirtXmlError(
      `pool ${pool.name}: no member VF has a PCI address; libvirt needs real VFs (the sim NIC has none)`,
    );
  const p = pool.profile;
  const lines = [
    `<network>`,
    `  <name>nicvisor-${xmlEscape(pool.name)}</name>`,
    `  <forward mode='hostdev' managed='yes'>`,
    `    <driver name='vfio'/>`,
    ...addrs.map((a) => `    ${addressXml(a)}`),
    `  </forward>`,
  ];
  if (p.vlans.length === 1 && p.stripOuterTag)
    lines.push(`  <vlan>`, `    <tag id='${p.vlans[0]}'/>`, `  </vlan>`);
  lines.push(`</network>`);
  return `${lines.join('\n')}\n`;
}
