/**
 * The software eswitch test bed with a bonded uplink (lab VM only), for hardware VF-LAG
 * (issue 18, proof 2): like testbed.ts, per VF a veth pair whose "VF" end is in its own
 * namespace (the guest) and whose other end plays the representor; the uplink is a kernel
 * bond `tbbond` of two veth members `tblag0`/`tblag1`, each wired to a "switch" namespace
 * `tbsw0`/`tbsw1` (its end is `sw`). The linux driver's TcEswitch puts the uplink rules on
 * the bond's clsact and redirects the VFs' frames for the wire to the bond, as it does for a
 * VF-LAG on a real NIC; the bonding driver picks the member.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PortMap } from '../../../src/drivers/linux/eswitch/tc-eswitch.js';
import { buildFrame } from '../../../src/drivers/sim/build.js';
import type { LagMode } from '../../../src/model/index.js';
import { sh } from './env.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../../../..');

export const BOND = 'tbbond';
export const MEMBERS = ['tblag0', 'tblag1'] as const;
export const SWITCHES = ['tbsw0', 'tbsw1'] as const;

export interface LagBed {
  ports: PortMap;
  vfs: number;
}

/** Equivalent to the bond nicvisor builds (lags.ts), with `ip`: this is the test's fixture. */
export function buildBond(mode: LagMode, miimon: number): void {
  sh(`ip link del ${BOND} 2>/dev/null; true`);
  const hash = mode === 'active-backup' ? '' : ' xmit_hash_policy layer3+4';
  sh(`ip link add ${BOND} mtu 9000 type bond mode ${mode} miimon ${miimon}${hash}`);
  sh(`sysctl -qw net.ipv6.conf.${BOND}.disable_ipv6=1`);
  // Cables in: the switches' ends up (a test may have pulled one).
  for (const ns of SWITCHES) sh(`ip -n ${ns} link set sw up`);
  for (const m of MEMBERS)
    sh(`ip link set ${m} down; ip link set ${m} master ${BOND}; ip link set ${m} up`);
  sh(`ip link set ${BOND} up`);
}

export function setUpLagBed(vfs: number): LagBed {
  tearDownLagBed(vfs);
  const ports = new Map<string, string>([['uplink', BOND]]);
  MEMBERS.forEach((m, i) => {
    const ns = SWITCHES[i];
    sh(`ip netns add ${ns}`);
    sh(`ip link add ${m} mtu 9000 type veth peer name sw mtu 9000 netns ${ns}`);
    sh(`ip netns exec ${ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1`);
    sh(`sysctl -qw net.ipv6.conf.${m}.disable_ipv6=1`);
    sh(`ip -n ${ns} link set sw up`);
  });
  for (let i = 0; i < vfs; i++) {
    sh(`ip netns add tbvf${i}`);
    sh(`ip link add tbrep${i} mtu 9000 type veth peer name vf${i} mtu 9000 netns tbvf${i}`);
    sh(`ip netns exec tbvf${i} sysctl -qw net.ipv6.conf.all.disable_ipv6=1`);
    sh(`ip -n tbvf${i} link set vf${i} up`);
    sh(`sysctl -qw net.ipv6.conf.tbrep${i}.disable_ipv6=1; ip link set tbrep${i} up`);
    ports.set(`vf${i}`, `tbrep${i}`);
  }
  return { ports, vfs };
}

export function tearDownLagBed(vfs: number): void {
  const ns = [...SWITCHES, ...Array.from({ length: vfs }, (_, i) => `tbvf${i}`)];
  sh(
    `ip link del ${BOND} 2>/dev/null; for n in ${ns.join(' ')}; do ip netns del $n 2>/dev/null; done; ip link del tblag0 2>/dev/null; ip link del tblag1 2>/dev/null; true`,
  );
}

/** The bond's active member (active-backup), from sysfs. */
export function activeMember(): string {
  return sh(`cat /sys/class/net/${BOND}/bonding/active_slave`).trim();
}

/** An IPv4/UDP frame from `src` with the marker rawframes.py and failover.py look for. */
export function udpFrame(src: string, dst: string, sport: number, id = 0): string {
  const ip = Buffer.alloc(46);
  ip[0] = 0x45;
  ip.writeUInt16BE(46, 2);
  ip[8] = 64;
  ip[9] = 17;
  ip.writeUInt32BE(0x0a000001, 12);
  ip.writeUInt32BE(0x0a000002, 16);
  ip.writeUInt16BE(sport, 20);
  ip.writeUInt16BE(4789, 22);
  ip.writeUInt16BE(26, 24);
  ip.write('NVSM', 28, 'latin1');
  ip.writeUInt16BE(id, 32);
  return buildFrame({ dst, src, etherType: 0x0800, payload: ip }).toString('hex');
}

export interface FailoverResult {
  sent: number;
  t_down_source: 'netlink' | 'command';
  before: Record<string, number>;
  after: Record<string, number>;
  failover_ms: number | null;
  lost: number;
  lost_after_down: number;
}

/** A stream from `vf0` while `down` takes a member out (test/lab/vm/failover.py). */
export function streamThroughFailover(
  frames: string[],
  down: string,
  watch: string,
  ms = { interval: 2, before: 300, after: 800 },
): FailoverResult {
  const input = JSON.stringify({
    from: { netns: 'tbvf0', ifname: 'vf0' },
    members: { tblag0: { netns: 'tbsw0', ifname: 'sw' }, tblag1: { netns: 'tbsw1', ifname: 'sw' } },
    frames,
    interval_ms: ms.interval,
    before_ms: ms.before,
    after_ms: ms.after,
    down,
    watch,
  });
  const r = spawnSync('/usr/bin/python3', [join(repo, 'test/lab/vm/failover.py')], {
    input,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`failover.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as FailoverResult;
}
