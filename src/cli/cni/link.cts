/**
 * The host side of a CNI attachment: find a VF's netdev by PCI address, move it into a
 * network namespace and back, name it, address it. Each function is one batch of `ip`
 * commands (run in the namespace with `nsenter --net=PATH`, which takes a path where
 * `ip -n` wants a name under /run/netns) and says its command-line equivalent.
 */
import { execFile } from 'node:child_process';
import { access as accessCb, readdir as readdirCb } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
// node:fs, not node:fs/promises: node has node:fs loaded before our first line, while
// node:fs/promises brings 9 more of its own modules (readline, watchers, dir) to compile.
const access = promisify(accessCb);
const readdir = promisify(readdirCb);

export interface LinkOps {
  sysfs: string;
  ip: string;
  nsenter: string;
}

export const DEFAULT_OPS: LinkOps = { sysfs: '/sys', ip: 'ip', nsenter: 'nsenter' };

async function ipBatch(ops: LinkOps, netns: string | null, lines: string[]): Promise<void> {
  const args = netns ? [`--net=${netns}`, ops.ip, '-batch', '-'] : ['-batch', '-'];
  const child = execFile(netns ? ops.nsenter : ops.ip, args, { encoding: 'utf8' });
  const done = new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`ip -batch failed (${code}): ${err.trim()} [${lines.join('; ')}]`)),
    );
  });
  child.stdin?.end(`${lines.join('\n')}\n`);
  return done;
}

/** The VF's netdev in this network namespace (`ls /sys/bus/pci/devices/ADDR/net`), or null. */
export async function netdevOf(ops: LinkOps, pciAddr: string): Promise<string | null> {
  try {
    const names = await readdir(`${ops.sysfs}/bus/pci/devices/${pciAddr}/net`);
    return names[0] ?? null;
  } catch {
    return null;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Move `dev` into `netns` as `ifname` with `mac` (and `mtu`), up, with the IPAM addresses
 * and routes. Equivalent to: `ip link set DEV down; ip link set DEV netns NETNS` then, inside
 * it, `ip link set DEV name IFNAME; ip link set IFNAME address MAC mtu MTU;
 * ip link set IFNAME up; ip addr replace ADDR dev IFNAME; ip route replace DST via GW`.
 * The MAC is set on the VF netdev too: igb gives a VF the MAC its PF set only when the VF
 * driver reinitialises, and accepts the VF asking for the same MAC.
 */
export async function moveIn(
  ops: LinkOps,
  dev: string,
  netns: string,
  ifname: string,
  mac: string,
  mtu: number | undefined,
  ips: { address: string }[] = [],
  routes: { dst: string; gw?: string }[] = [],
): Promise<void> {
  await ipBatch(ops, null, [`link set dev ${dev} down`, `link set dev ${dev} netns ${netns}`]);
  await ipBatch(ops, netns, [
    ...(dev !== ifname ? [`link set dev ${dev} name ${ifname}`] : []),
    `link set dev ${ifname} address ${mac}${mtu ? ` mtu ${mtu}` : ''}`,
    `link set dev ${ifname} up`,
    ...addressLines(ifname, ips, routes),
  ]);
}

/** `replace`, not `add`: a retried ADD finds the address there already (host-local gives the same). */
function addressLines(
  ifname: string,
  ips: { address: string }[],
  routes: { dst: string; gw?: string }[],
): string[] {
  return [
    ...ips.map((ip) => `addr replace ${ip.address} dev ${ifname}`),
    ...routes.map((r) => `route replace ${r.dst}${r.gw ? ` via ${r.gw}` : ''} dev ${ifname}`),
  ];
}

/**
 * Give the netdev back to the host under its old name. Equivalent to:
 * `nsenter --net=NETNS ip link set IFNAME down; … ip link set IFNAME netns 1 name HOSTNAME`
 * (PID 1's namespace: the host's; the kernel moves and renames in one RTM_SETLINK, so one
 * program does it all). When the host has taken HOSTNAME meanwhile the kernel refuses the
 * rename, so the move alone is tried, and the rename after it answers the clash. When the
 * namespace is already gone the kernel has moved the VF back itself (physical netdevs return
 * to the initial namespace, renamed `devN` on a clash): only the rename is left.
 */
export async function moveOut(
  ops: LinkOps,
  netns: string | null,
  ifname: string,
  pciAddr: string,
  hostName: string | undefined,
): Promise<void> {
  if (netns && (await exists(netns))) {
    const move = `link set dev ${ifname} netns 1`;
    try {
      await ipBatch(ops, netns, [
        `link set dev ${ifname} down`,
        hostName && hostName !== ifname ? `${move} name ${hostName}` : move,
      ]);
    } catch {
      // The rename refused (HOSTNAME taken in the host: the kernel may have moved it
      // already), or not there (an earlier DEL moved it, or ADD failed before the move).
      await ipBatch(ops, netns, [`link set dev ${ifname} down`, move]).catch(() => {});
    }
  }
  const now = await netdevOf(ops, pciAddr);
  if (now && hostName && now !== hostName)
    await ipBatch(ops, null, [`link set dev ${now} name ${hostName}`]);
}

/** Addresses and routes of the IPAM result on `ifname` inside `netns` (a retried ADD). */
export async function addressIn(
  ops: LinkOps,
  netns: string,
  ifname: string,
  ips: { address: string }[],
  routes: { dst: string; gw?: string }[],
): Promise<void> {
  if (ips.length === 0 && routes.length === 0) return;
  await ipBatch(ops, netns, addressLines(ifname, ips, routes));
}

/** MAC of `ifname` inside `netns` (`ip -j link show`), or null when it is not there. */
export async function macIn(ops: LinkOps, netns: string, ifname: string): Promise<string | null> {
  try {
    const { stdout } = await run(
      ops.nsenter,
      [`--net=${netns}`, ops.ip, '-j', 'link', 'show', 'dev', ifname],
      {
        encoding: 'utf8',
      },
    );
    const [l] = JSON.parse(stdout) as { address?: string }[];
    return l?.address ?? null;
  } catch {
    return null;
  }
}
