// Runs inside the lab VM booted with --igb (test/lab/vm/igb.sh): sends the same raw frames
// through QEMU's emulated 82576 (VF netdevs in network namespaces, the PF in the root
// namespace) and through the simulated NIC set up the same way, and compares where they
// arrive. Only behaviours QEMU's igb really emulates are compared (lab README): port VLAN
// insert/strip and VLAN filtering, VF↔VF and VF↔PF delivery, unicast to a local MAC,
// broadcast reach, and multicast through the one hash table the PF's functions share.
// QEMU echoes broadcast and multicast back to the sender, so the sender's port is left out;
// it does not emulate anti-spoofing, so spoofchk is off on both. The wire (QEMU's user-mode
// backend) cannot be observed: only local arrivals are compared.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildFrame, type TagSpec } from '../../../src/drivers/sim/build.js';
import { ManualClock } from '../../../src/drivers/sim/clock.js';
import { createNic, type SimNic } from '../../../src/drivers/sim/nic.js';
import { SLACK } from './env.js';
import { sh, skipUnless } from './helpers.js';

const skip = skipUnless('igb');
const PF = process.env.NICVISOR_IGB_PF ?? 'eth0';
const SIM_PF = 'sim:igb/0';
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../../../..');

/** The VFs as `ip link set PF vf N …` programs them (spoofchk off: QEMU does not check it). */
const VFS = [
  { mac: '02:00:00:00:00:10', vlan: 100, qos: 3 },
  { mac: '02:00:00:00:00:11', vlan: 0, qos: 0 },
  { mac: '02:00:00:00:00:12', vlan: 100, qos: 0 },
];
const BCAST = 'ff:ff:ff:ff:ff:ff';
const UNKNOWN = '02:99:00:00:00:99';
/**
 * Multicast groups whose MTA hash (address bits [47:36]) misses the groups the kernel joins
 * by itself (01:00:5e:00:00:01, 33:33:00:00:00:01: hash 0x010; IPv6 is off): VF 1 joins
 * GROUP (0x030); COLLIDES shares its hash; NOBODY hashes to 0x0c0.
 */
const GROUP = '01:00:5e:01:02:03';
const COLLIDES = '01:00:5e:44:05:03';
const NOBODY = '01:00:5e:01:02:0c';

type Port = 'vf0' | 'vf1' | 'vf2' | 'host';

interface FrameCase {
  name: string;
  from: Port;
  dst: string | 'host';
  tags?: TagSpec[];
}

const CASES: FrameCase[] = [
  { name: 'host untagged → VF 1 (no VLAN)', from: 'host', dst: VFS[1].mac },
  {
    name: 'host VLAN 100 → VF 0 (port VLAN 100): stripped',
    from: 'host',
    dst: VFS[0].mac,
    tags: [{ vid: 100 }],
  },
  { name: 'host untagged → VF 0 (port VLAN 100): dropped', from: 'host', dst: VFS[0].mac },
  {
    name: 'host VLAN 200 → VF 0 (port VLAN 100): dropped',
    from: 'host',
    dst: VFS[0].mac,
    tags: [{ vid: 200 }],
  },
  { name: 'VF 0 → host: tagged 100 with PCP 3', from: 'vf0', dst: 'host' },
  { name: 'VF 1 → host: untagged', from: 'vf1', dst: 'host' },
  { name: 'VF 0 → VF 2, same port VLAN', from: 'vf0', dst: VFS[2].mac },
  { name: 'VF 0 → VF 1, port VLAN to untagged: dropped', from: 'vf0', dst: VFS[1].mac },
  { name: 'VF 1 → VF 0, untagged to port VLAN: dropped', from: 'vf1', dst: VFS[0].mac },
  { name: 'VF 1 → its own MAC: nowhere', from: 'vf1', dst: VFS[1].mac },
  { name: 'VF 1 → a MAC nobody has: no local port', from: 'vf1', dst: UNKNOWN },
  { name: 'VF 1 broadcast: the untagged ports', from: 'vf1', dst: BCAST },
  { name: 'VF 0 broadcast: VLAN 100 (VF 2, host tagged)', from: 'vf0', dst: BCAST },
  { name: 'host broadcast untagged: VF 1', from: 'host', dst: BCAST },
  {
    name: 'host broadcast VLAN 100: VF 0 and VF 2',
    from: 'host',
    dst: BCAST,
    tags: [{ vid: 100 }],
  },
  {
    name: 'host VLAN 200 → VF 1 (no VLAN): dropped',
    from: 'host',
    dst: VFS[1].mac,
    tags: [{ vid: 200 }],
  },
  {
    name: 'host VLAN 100 → VF 1 (no VLAN): dropped',
    from: 'host',
    dst: VFS[1].mac,
    tags: [{ vid: 100 }],
  },
  { name: 'host → the group VF 1 joined', from: 'host', dst: GROUP },
  { name: 'host → a group sharing its hash bit', from: 'host', dst: COLLIDES },
  { name: 'host → a group nobody joined', from: 'host', dst: NOBODY },
  { name: 'VF 1 → the group it joined', from: 'vf1', dst: GROUP },
  { name: 'VF 2 → the group VF 1 joined, in port VLAN 100', from: 'vf2', dst: GROUP },
];

/** One frame per case, recognisable by its id (ethertype 0x88b5, "NVSM" + id in the payload). */
function frameOf(c: FrameCase, id: number, hostMac: string): Buffer {
  const payload = Buffer.alloc(46);
  payload.write('NVSM', 0, 'latin1');
  payload.writeUInt16BE(id, 4);
  const src = c.from === 'host' ? hostMac : VFS[Number(c.from[2])].mac;
  const dst = c.dst === 'host' ? hostMac : c.dst;
  return buildFrame({ dst, src, tags: c.tags, etherType: 0x88b5, payload });
}

/** A frame as it arrived: its tags as `vid/pcp`, or `untagged`. */
function shape(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  const tags: string[] = [];
  for (let off = 12; b.readUInt16BE(off) === 0x8100 || b.readUInt16BE(off) === 0x88a8; off += 4) {
    const tci = b.readUInt16BE(off + 2);
    tags.push(`${tci & 0xfff}/${tci >> 13}`);
  }
  return tags.length === 0 ? 'untagged' : tags.join('+');
}

type Arrivals = Map<number, string[]>;

function record(out: Arrivals, id: number, port: string, hex: string): void {
  out.set(id, [...(out.get(id) ?? []), `${port}:${shape(hex)}`].sort());
}

/** The simulated NIC programmed as the igb is: VF MACs and port VLANs, the host's VLAN 100. */
function simNic(hostMac: string): SimNic {
  const nic = createNic(
    [{ name: 'igb', ports: 1, totalVfs: 7, linkSpeedMbps: 1000 }],
    new ManualClock(),
  );
  const pf = nic.pf(SIM_PF);
  pf.resize(VFS.length);
  VFS.forEach((v, i) => {
    pf.setVfField(i, 'mac', v.mac, true);
    pf.setVfField(i, 'vlans', v.vlan ? [v.vlan] : [], true);
    pf.setVfField(i, 'vlanQoS', v.qos, true);
  });
  nic.setHost(SIM_PF, { mac: hostMac, vlans: [100] });
  pf.setGroups(1, [GROUP]);
  return nic;
}

function throughSim(frames: { from: Port; data: Buffer }[], hostMac: string): Arrivals {
  const nic = simNic(hostMac);
  const out: Arrivals = new Map();
  const ports: Port[] = ['vf0', 'vf1', 'vf2', 'host'];
  frames.forEach((f, id) => {
    const caps = ports.map(
      (p) => [p, nic.capture(SIM_PF, p === 'host' ? 'host' : Number(p[2]))] as const,
    );
    if (f.from === 'host') nic.sendFromHost(SIM_PF, f.data);
    else nic.sendFromVf(SIM_PF, Number(f.from[2]), f.data);
    for (const [p, c] of caps) {
      c.stop();
      if (p !== f.from) for (const got of c.frames) record(out, id, p, got.data.toString('hex'));
    }
  });
  return out;
}

function vfNetdev(i: number): string {
  return sh(`ls /sys/class/net/${PF}/device/virtfn${i}/net 2>/dev/null || true`).trim();
}

/** Synchronous (the frames are sent from a spawned python); bounded by `ms` × SLACK. */
function waitFor(cond: () => boolean, ms: number, what: string): void {
  const until = Date.now() + ms * SLACK;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms * SLACK} ms waiting for ${what}`);
    sh('sleep 0.2');
  }
}

/** Three VFs with the MACs and VLANs above, each in its own namespace; the PF with VLAN 100. */
function setUpIgb(): Record<Port, { netns: string | null; ifname: string }> {
  const dev = `/sys/class/net/${PF}/device`;
  sh(`for n in veb0 veb1 veb2; do ip netns del $n 2>/dev/null; done; true`);
  sh(`echo 1 > ${dev}/sriov_drivers_autoprobe; echo 0 > ${dev}/sriov_numvfs`);
  sh(`echo ${VFS.length} > ${dev}/sriov_numvfs`);
  VFS.forEach((v, i) => {
    const vlan = v.vlan ? `vlan ${v.vlan} qos ${v.qos}` : 'vlan 0';
    sh(`ip link set ${PF} vf ${i} mac ${v.mac} ${vlan} spoofchk off`);
  });
  // igb applies a PF-set MAC in the VF only after the VF driver reloads (lab README).
  VFS.forEach((_, i) => {
    const pci = sh(`basename $(readlink ${dev}/virtfn${i})`).trim();
    sh(
      `echo ${pci} > /sys/bus/pci/drivers/igbvf/unbind; echo ${pci} > /sys/bus/pci/drivers/igbvf/bind`,
    );
  });
  for (let i = 0; i < VFS.length; i++) waitFor(() => vfNetdev(i) !== '', 15000, `VF ${i} netdev`);
  const ports = {} as Record<Port, { netns: string | null; ifname: string }>;
  VFS.forEach((_, i) => {
    const ifname = vfNetdev(i);
    const ns = `veb${i}`;
    sh(`ip netns add ${ns}; ip link set ${ifname} netns ${ns}`);
    sh(`ip netns exec ${ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1`);
    sh(`ip -n ${ns} link set ${ifname} up`);
    ports[`vf${i}` as Port] = { netns: ns, ifname };
  });
  // The guest of VF 1 joins GROUP: igbvf sends its list to the PF, which fills the MTA.
  sh(`ip -n veb1 maddr add ${GROUP} dev ${ports.vf1.ifname}`);
  sh('sysctl -qw net.ipv6.conf.all.disable_ipv6=1');
  sh(`ip link del ${PF}.100 2>/dev/null; ip addr flush dev ${PF}; ip link set ${PF} up; true`);
  sh(`ip link add link ${PF} name ${PF}.100 type vlan id 100; ip link set ${PF}.100 up`);
  ports.host = { netns: null, ifname: PF };
  sh('sleep 2');
  return ports;
}

function throughIgb(
  frames: { from: Port; data: Buffer }[],
  ports: Record<Port, { netns: string | null; ifname: string }>,
): Arrivals {
  const input = JSON.stringify({
    ports,
    frames: frames.map((f, id) => ({ id, from: f.from, hex: f.data.toString('hex') })),
  });
  const r = spawnSync('/usr/bin/python3', [join(repo, 'test/lab/vm/rawframes.py')], {
    input,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `rawframes.py failed: ${r.stderr}`);
  const out: Arrivals = new Map();
  for (const a of JSON.parse(r.stdout).arrivals as { id: number; port: Port; hex: string }[]) {
    if (a.port !== frames[a.id].from) record(out, a.id, a.port, a.hex);
  }
  return out;
}

describe('sim vs emulated igb: where the same frames arrive', { skip }, () => {
  let ports: Record<Port, { netns: string | null; ifname: string }>;
  let hostMac = '';

  before(() => {
    ports = setUpIgb();
    hostMac = sh(`cat /sys/class/net/${PF}/address`).trim();
  });

  it('every frame reaches the same ports, with the same tags', () => {
    const frames = CASES.map((c, id) => ({ from: c.from, data: frameOf(c, id, hostMac) }));
    const igb = throughIgb(frames, ports);
    const sim = throughSim(frames, hostMac);
    const rows = CASES.map((c, id) => {
      const a = (igb.get(id) ?? []).join(' ') || '-';
      const b = (sim.get(id) ?? []).join(' ') || '-';
      return { name: c.name, igb: a, sim: b, same: a === b };
    });
    for (const r of rows)
      console.log(`# ${r.same ? 'same' : 'DIFF'}  ${r.name}: igb ${r.igb} | sim ${r.sim}`);
    assert.deepEqual(
      rows.filter((r) => !r.same),
      [],
      'frames the sim switches differently from the 82576',
    );
  });
});
