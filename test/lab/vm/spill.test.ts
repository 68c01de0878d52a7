// Runs inside the lab VM (netdevsim boot, test/lab/vm/netdevsim.sh): a flood past TC's 32
// actions per filter on a real kernel. 40 VFs share one VLAN, so a broadcast from vf0 needs
// 40 deliveries (39 VFs and the wire): the compiler splits it over spill chains
// (policy/eswitch/spill.ts) and TcEswitch installs them on veth "representors" (skip_hw).
// One broadcast sent by vf0 must reach each other VF's end and the wire exactly once.
// VF ends stay in the root namespace (namespaces cost seconds each under emulation), with
// IPv6 off so nothing but the test's frame passes the rules.
// VLAN 100 alone is each VF's port VLAN: the VF sends untagged and the eswitch tags (a
// frame the VF tags itself is VLAN-spoofed and dropped, in the sim as on the kernel).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { TcEswitch } from '../../../src/drivers/linux/eswitch/tc-eswitch.js';
import { spawnTc } from '../../../src/drivers/linux/eswitch/tc-run.js';
import { buildFrame } from '../../../src/drivers/sim/build.js';
import { diffRules } from '../../../src/policy/eswitch/diff.js';
import { isSpillChain } from '../../../src/policy/eswitch/spill.js';
import { world } from '../../eswitch/kit.js';
import { SLACK, sh, skipUnless } from './env.js';

const skip = skipUnless('netdevsim');
const N = 40;
const mac = (i: number) => `02:00:00:00:33:${i.toString(16).padStart(2, '0')}`;
const rep = (i: number) => `sprep${i}`;
const end = (i: number) => `spvf${i}`;

function rx(dev: string): number {
  return Number(readFileSync(`/sys/class/net/${dev}/statistics/rx_packets`, 'utf8'));
}

/** One `ip` process (a spawn costs ~0.3 s under TCG): deleting a veth end takes its peer. */
function tearDown(): void {
  const dels = ['link del spup', ...Array.from({ length: N }, (_, i) => `link del ${rep(i)}`)];
  sh(`ip -force -batch - 2>/dev/null <<'EOF'\n${dels.join('\n')}\nEOF\ntrue`);
}

describe('a flood to 40 ports on the kernel: spill chains', { skip }, () => {
  after(tearDown);

  it('one broadcast from vf0 reaches each of 39 VFs and the wire exactly once', async () => {
    tearDown();
    const links = ['link add spup mtu 9000 type veth peer name spwire mtu 9000'];
    for (let i = 0; i < N; i++)
      links.push(`link add ${rep(i)} mtu 9000 type veth peer name ${end(i)} mtu 9000`);
    sh(`ip -batch - <<'EOF'\n${links.join('\n')}\nEOF`);
    const devs = [
      'spup',
      'spwire',
      ...Array.from({ length: N }, (_, i) => [rep(i), end(i)]).flat(),
    ];
    sh(`sysctl -qw ${devs.map((d) => `net.ipv6.conf.${d}.disable_ipv6=1`).join(' ')}`);
    sh(`ip -batch - <<'EOF'\n${devs.map((d) => `link set ${d} up`).join('\n')}\nEOF`);
    const ports = new Map<string, string>([['uplink', 'spup']]);
    for (let i = 0; i < N; i++) ports.set(`vf${i}`, rep(i));

    const w = world(
      Array.from({ length: N }, (_, i) => ({ name: `s${i}`, vf: i, vlans: [100], macs: [mac(i)] })),
      { numVfs: N },
    );
    // Only vf0's port: the frame under test is switched there; the rest would only cost time.
    const rules = w.rules.rules.filter((r) => r.port === 'vf0');
    const spills = rules.filter((r) => isSpillChain(r.chain));
    assert.ok(spills.length > 0, 'the flood is split');
    const sw = new TcEswitch('spill', spawnTc(), 'skip_hw');
    const out = await sw.apply(diffRules([], { ...w.rules, rules }), ports);
    assert.equal(out.status, 'done', JSON.stringify(out).slice(0, 2000));

    const before = [rx('spwire'), ...Array.from({ length: N }, (_, i) => rx(end(i)))];
    const frame = buildFrame({ dst: 'ff:ff:ff:ff:ff:ff', src: mac(0) });
    sh(
      `python3 -c 'import socket,sys; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("${end(0)}", 0)); s.send(bytes.fromhex(sys.argv[1]))' ${frame.toString('hex')}`,
    );
    const deadline = Date.now() + 5000 * SLACK;
    let got: number[] = [];
    do {
      got = [rx('spwire'), ...Array.from({ length: N }, (_, i) => rx(end(i)))].map(
        (x, i) => x - before[i],
      );
      if (got.slice(2).every((x) => x >= 1) && got[0] >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    assert.deepEqual(got, [1, 0, ...Array.from({ length: N - 1 }, () => 1)], 'wire, vf0, vf1…vf39');
    // The broadcast went through its head and every part of its spill chain, once; the other
    // split flood of vf0 (multicast) saw nothing.
    const seen = await sw.observe(ports);
    const head = seen.find((r) => r.id.endsWith('/bcast'));
    assert.ok(head, 'the broadcast flood is installed');
    const chainOf = new Map(seen.map((r) => [r.chain, r]));
    const path = [head];
    for (let r = head; ; ) {
      const next = r.actions.find((a) => a.kind === 'goto' && isSpillChain(a.chain));
      const part = next?.kind === 'goto' ? chainOf.get(next.chain) : undefined;
      if (!part) break;
      path.push(part);
      r = part;
    }
    assert.ok(path.length > 1, 'the broadcast is split');
    const hits = (rs: typeof seen) => rs.map((r) => `${r.id}=${r.packets}`);
    assert.deepEqual(hits(path), hits(path.map((r) => ({ ...r, packets: 1 }))));
    const others = seen.filter((r) => isSpillChain(r.chain) && !path.includes(r));
    assert.deepEqual(hits(others), hits(others.map((r) => ({ ...r, packets: 0 }))));
    console.log(
      `# broadcast to ${N - 1} VFs + wire through ${path.length} chained filters (${spills.length} spill rules on vf0)`,
    );
  });
});
