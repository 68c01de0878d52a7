/**
 * The libvirt network hook's decision, pure: libvirt runs `/etc/libvirt/hooks/network NAME
 * port-created begin -` with `<hookData><network>…</network><networkport>…</networkport>
 * </hookData>` on stdin before a domain's interface joins a network, and aborts the port
 * when the hook exits non-zero. For a pool's network (`nicvisor-POOL`), a port is allowed
 * only when the ledger has a claim of that domain for exactly that VF and MAC; a
 * `port-deleted` releases it. Other networks and operations are not ours: allowed.
 *
 * The XML is read with a few anchored patterns rather than a parser: it is libvirt's own
 * output of a fixed shape (virNetworkPortDefFormat), and the hook must start fast.
 */
import type { Claim } from '../../model/index.js';

export interface PortInfo {
  network: string;
  owner: string | null;
  mac: string | null;
  pciAddr: string | null;
}

function section(xml: string, tag: string): string {
  const m = new RegExp(`<${tag}[\\s>][\\s\\S]*?</${tag}>`).exec(xml);
  return m ? m[0] : '';
}

function attr(el: string, name: string): string | null {
  const m = new RegExp(`\\s${name}=(['"])([^'"]*)\\1`).exec(el);
  return m ? m[2]! : null;
}

export function parsePort(network: string, hookData: string): PortInfo {
  const port = section(hookData, 'networkport');
  const owner = /<owner>[\s\S]*?<name>([^<]+)<\/name>/.exec(port)?.[1] ?? null;
  const macEl = /<mac\s[^>]*>/.exec(port)?.[0];
  const plug = section(port, 'plug') || (/<plug\s[^>]*\/>/.exec(port)?.[0] ?? '');
  const addrEl = /<address\s[^>]*>/.exec(plug)?.[0];
  let pciAddr: string | null = null;
  if (addrEl) {
    const hex = (k: string, w: number) =>
      (attr(addrEl, k) ?? '').replace(/^0x/, '').padStart(w, '0');
    pciAddr =
      `${hex('domain', 4)}:${hex('bus', 2)}:${hex('slot', 2)}.${(attr(addrEl, 'function') ?? '0').replace(/^0x/, '')}`.toLowerCase();
  }
  return {
    network,
    owner,
    mac: macEl ? (attr(macEl, 'address')?.toLowerCase() ?? null) : null,
    pciAddr,
  };
}

export type HookAnswer =
  | { allow: true; reason: string; release?: string }
  | { allow: false; reason: string };

/** The pool a network belongs to (`nicvisor-POOL`), or null for someone else's network. */
export function poolOfNetwork(network: string): string | null {
  return /^nicvisor-([a-z0-9][a-z0-9_-]{0,31})$/.exec(network)?.[1] ?? null;
}

export function judgePort(op: string, port: PortInfo, claims: readonly Claim[]): HookAnswer {
  const pool = poolOfNetwork(port.network);
  if (!pool) return { allow: true, reason: `network ${port.network} is not a nicvisor pool` };
  if (op !== 'port-created' && op !== 'port-deleted')
    return { allow: true, reason: `${op}: nothing to check` };
  const who = port.owner ? `domain ${port.owner}` : 'a port without an owner';
  const mine = claims.filter(
    (c) => c.pool === pool && c.owner.kind === 'vm' && c.owner.id === port.owner,
  );
  const match = mine.find((c) => c.pciAddr?.toLowerCase() === port.pciAddr);
  if (op === 'port-deleted')
    return match
      ? {
          allow: true,
          reason: `${who} gave back VF ${port.pciAddr}: releasing claim ${match.id}`,
          release: match.id,
        }
      : { allow: true, reason: `${who}: no claim for VF ${port.pciAddr}, nothing to release` };
  if (!match) {
    const held = claims.find((c) => c.pool === pool && c.pciAddr?.toLowerCase() === port.pciAddr);
    const why = held
      ? `VF ${port.pciAddr} is claimed by ${held.owner.kind}:${held.owner.id} (claim ${held.id})`
      : mine.length > 0
        ? `its claim${mine.length > 1 ? 's' : ''} ${mine.map((c) => `${c.id} (${c.pciAddr ?? 'no PCI address'})`).join(', ')} name${mine.length > 1 ? '' : 's'} another VF`
        : `it has no claim in pool ${pool}`;
    return {
      allow: false,
      reason: `nicvisor: ${who} may not use VF ${port.pciAddr} of network ${port.network}: ${why}; claim first (nicvisor claim ${pool} --owner vm:${port.owner ?? 'NAME'}) and use its <interface> (nicvisor libvirt-xml CLAIM)`,
    };
  }
  if (port.mac && port.mac !== match.mac)
    return {
      allow: false,
      reason: `nicvisor: ${who} asks for MAC ${port.mac} on VF ${port.pciAddr}, its claim ${match.id} has ${match.mac}; use the claim's <interface> (nicvisor libvirt-xml ${match.id})`,
    };
  return { allow: true, reason: `${who}: VF ${port.pciAddr} is its claim ${match.id}` };
}
