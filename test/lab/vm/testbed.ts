/**
 * The software eswitch test bed (lab VM only): per VF a veth pair whose "VF" end sits in
 * its own network namespace (the guest) and whose other end plays its representor, plus an
 * uplink veth to a "wire" namespace. Rules installed on the representors' and the uplink's
 * clsact ingress (skip_hw: veth has no hardware) switch real frames between them as a
 * switchdev NIC's eswitch would.
 *
 * Every end has MTU 9000: the eswitch's own length rules must decide, not veth's
 * forwarding check. IPv6 is off in the namespaces so no frame but the test's reaches the
 * rules (their counters are compared too).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PortMap } from '../../../src/drivers/linux/eswitch/tc-eswitch.js';
import { sh } from './env.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../../../..');

export interface TestBed {
  /** Eswitch port → the root-namespace netdev its rules hang on. */
  ports: PortMap;
  /** rawframes.py's view: where each port's frames are sent and captured. */
  ends: Record<string, { netns: string; ifname: string }>;
}

export function setUpTestBed(n: number): TestBed {
  tearDownTestBed(n);
  const ports = new Map<string, string>([['uplink', 'tbup']]);
  const ends: TestBed['ends'] = { uplink: { netns: 'tbwire', ifname: 'wire' } };
  sh('ip netns add tbwire');
  sh('ip link add tbup mtu 9000 type veth peer name wire mtu 9000 netns tbwire');
  for (let i = 0; i < n; i++) {
    sh(`ip netns add tbvf${i}`);
    sh(`ip link add tbrep${i} mtu 9000 type veth peer name vf${i} mtu 9000 netns tbvf${i}`);
    ports.set(`vf${i}`, `tbrep${i}`);
    ends[`vf${i}`] = { netns: `tbvf${i}`, ifname: `vf${i}` };
  }
  for (const [, e] of Object.entries(ends)) {
    sh(`ip netns exec ${e.netns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1`);
    sh(`ip -n ${e.netns} link set ${e.ifname} up`);
  }
  for (const dev of ports.values()) {
    sh(`sysctl -qw net.ipv6.conf.${dev}.disable_ipv6=1; ip link set ${dev} up`);
  }
  return { ports, ends };
}

export function tearDownTestBed(n: number): void {
  const names = ['tbwire', ...Array.from({ length: n }, (_, i) => `tbvf${i}`)];
  sh(
    `for n in ${names.join(' ')}; do ip netns del $n 2>/dev/null; done; ip link del tbup 2>/dev/null; true`,
  );
}

export interface Arrival {
  id: number;
  port: string;
  hex: string;
}

/** Sends each frame from its port's end and reports every arrival (test/lab/vm/rawframes.py). */
export function sendFrames(bed: TestBed, frames: { from: string; hex: string }[]): Arrival[] {
  const input = JSON.stringify({
    ports: bed.ends,
    frames: frames.map((f, id) => ({ id, from: f.from, hex: f.hex })),
  });
  const r = spawnSync('/usr/bin/python3', [join(repo, 'test/lab/vm/rawframes.py')], {
    input,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`rawframes.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout).arrivals as Arrival[];
}
