// Runs inside the lab VM (netdevsim boot, test/lab/vm/netdevsim.sh): issue 18's proof (2).
// Hardware VF-LAG on the software eswitch test bed (lag-bed.ts): the eswitch uplink is a
// kernel bond of two veth members wired to two "switch" namespaces. The compiled rules go
// where the linux driver puts them for a VF-LAG member (TcEswitch with the bond as uplink:
// the uplink rules on the bond's clsact, the VF's frames for the wire redirected to the
// bond; the second member's uplink rules beside them in their own chains). Real frames
// from a VF keep flowing when a member goes down (the member itself, or its peer: the
// cable), in active-backup and balance-xor, and the failover time is measured.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type LagUplink,
  type PortMap,
  TcEswitch,
} from '../../../src/drivers/linux/eswitch/tc-eswitch.js';
import { LAG_CHAIN_SPAN } from '../../../src/drivers/linux/eswitch/tc-lines.js';
import { spawnTc } from '../../../src/drivers/linux/eswitch/tc-run.js';
import type { EswitchRuleSet } from '../../../src/model/index.js';
import { diffRules } from '../../../src/policy/eswitch/diff.js';
import { world } from '../../eswitch/kit.js';
import { sh, skipUnless, waitFor } from './env.js';
import {
  activeMember,
  BOND,
  buildBond,
  type LagBed,
  setUpLagBed,
  streamThroughFailover,
  tearDownLagBed,
  udpFrame,
} from './lag-bed.js';
import { sendFrames } from './testbed.js';

const skip = skipUnless('netdevsim');
const VF_MAC = '02:00:00:00:0a:01';
/** No port owns it: the eswitch sends it to the wire (the bond). */
const FAR = '02:ee:00:00:00:01';
const MIIMON = 10;
const FIRST: LagUplink = { base: 0 };
const SECOND: LagUplink = { base: LAG_CHAIN_SPAN };

const member0 = world([{ name: 'lagvf', vf: 0, untagged: true, macs: [VF_MAC] }], {
  numVfs: 1,
}).rules;
// The second member carries no VF policy on linux (vfLagFirstMemberOnly); its uplink rules
// still sit on the bond, in chains LAG_CHAIN_SPAN up.
const member1 = world([], { numVfs: 0 }).rules;
const SECOND_PORTS: PortMap = new Map([['uplink', BOND]]);

async function converge(sw: TcEswitch, ports: PortMap, rules: EswitchRuleSet, lag: LagUplink) {
  const out = await sw.apply(
    diffRules(await sw.observe(ports, undefined, lag), rules),
    ports,
    undefined,
    lag,
  );
  assert.equal(out.status, 'done', JSON.stringify(out));
  assert.equal(await sw.drifted(ports, undefined, lag), null);
}

const flows = (n: number) =>
  Array.from({ length: n }, (_, i) => udpFrame(VF_MAC, FAR, 20000 + i * 7));

/** A frame from each switch namespace to the VF: which ones reach it (wire → bond → rules). */
function fromTheWire(bed: LagBed): string[] {
  const ends = {
    vf0: { netns: 'tbvf0', ifname: 'vf0' },
    sw0: { netns: 'tbsw0', ifname: 'sw' },
    sw1: { netns: 'tbsw1', ifname: 'sw' },
  };
  const got = sendFrames({ ports: bed.ports, ends }, [
    { from: 'sw0', hex: udpFrame(FAR, VF_MAC, 1000, 0) },
    { from: 'sw1', hex: udpFrame(FAR, VF_MAC, 1001, 1) },
  ]);
  return got.filter((a) => a.port === 'vf0').map((a) => (a.id === 0 ? 'sw0' : 'sw1'));
}

function log(what: string, r: ReturnType<typeof streamThroughFailover>): void {
  console.log(
    `# VF-LAG test bed, ${what}: failover ${r.failover_ms?.toFixed(1)} ms (t_down from ${r.t_down_source}), ${r.lost_after_down} frames lost after the down (${r.lost} of ${r.sent} in all), before ${JSON.stringify(r.before)} after ${JSON.stringify(r.after)}`,
  );
}

describe('hardware VF-LAG on the software eswitch test bed: the uplink is a bond', { skip }, () => {
  let bed: LagBed;
  const tc = spawnTc();
  const sw0 = new TcEswitch('member0', tc, 'skip_hw');
  const sw1 = new TcEswitch('member1', tc, 'skip_hw');

  before(async () => {
    bed = setUpLagBed(1);
    buildBond('active-backup', MIIMON);
    await converge(sw0, bed.ports, member0, FIRST);
    await converge(sw1, SECOND_PORTS, member1, SECOND);
  });
  after(() => tearDownLagBed(1));

  it('puts both members’ uplink rules on the bond, in their own chains, and the VF’s wire redirect to it', () => {
    const chains = (JSON.parse(sh(`tc -j filter show dev ${BOND} ingress`)) as { chain?: number }[])
      .map((f) => f.chain ?? 0)
      .filter((c, i, all) => all.indexOf(c) === i);
    assert.ok(
      chains.some((c) => c < LAG_CHAIN_SPAN),
      `member 0's chains: ${chains}`,
    );
    assert.ok(
      chains.some((c) => c >= LAG_CHAIN_SPAN),
      `member 1's chains: ${chains}`,
    );
    assert.match(sh('tc filter show dev tbrep0 ingress'), new RegExp(`Redirect to device ${BOND}`));
  });

  it('active-backup: frames leave on the active member only and move when it goes down, or its cable', async () => {
    assert.equal(activeMember(), 'tblag0');
    assert.deepEqual(fromTheWire(bed), ['sw0'], 'the inactive member drops what it receives');
    const down = streamThroughFailover(flows(8), 'ip link set tblag0 down', 'tblag0');
    log('active-backup, member down', down);
    assert.ok(down.before.tblag0 > 0 && down.before.tblag1 === 0, JSON.stringify(down));
    assert.ok(down.after.tblag1 > 0 && down.after.tblag0 === 0, JSON.stringify(down));
    assert.notEqual(down.failover_ms, null);
    assert.equal(activeMember(), 'tblag1');
    sh('ip link set tblag0 up');
    await waitFor(
      () => sh('cat /sys/class/net/tblag0/operstate').trim() === 'up',
      20000,
      'tblag0 up',
    );
    // The cable: the switch's end goes down, the member loses its carrier (miimon sees it).
    let cable: ReturnType<typeof streamThroughFailover>;
    try {
      cable = streamThroughFailover(flows(8), 'ip -n tbsw1 link set sw down', 'tblag1');
    } finally {
      sh('ip -n tbsw1 link set sw up');
    }
    log('active-backup, cable (peer) down', cable);
    assert.ok(cable.before.tblag1 > 0 && cable.before.tblag0 === 0, JSON.stringify(cable));
    assert.ok(cable.after.tblag0 > 0 && cable.after.tblag1 === 0, JSON.stringify(cable));
    assert.notEqual(cable.failover_ms, null);
    assert.deepEqual(
      fromTheWire(bed),
      ['sw0'],
      'frames from the wire reach the VF on the new member',
    );
    sh('ip -n tbsw1 link set sw up');
  });

  it('balance-xor: flows on both members; one member down moves them all to the other', async () => {
    // A new mode rebuilds the bond (the kernel refuses a mode change with members): its
    // filters go with it, the ledgers see that, and the rules are installed again.
    buildBond('balance-xor', MIIMON);
    sw0.forgetDev(BOND);
    sw1.forgetDev(BOND);
    assert.match((await sw0.drifted(bed.ports, undefined, FIRST)) ?? '', /is gone from tbbond/);
    await converge(sw0, bed.ports, member0, FIRST);
    await converge(sw1, SECOND_PORTS, member1, SECOND);
    await waitFor(
      () =>
        ['tblag0', 'tblag1'].every((m) => sh(`cat /sys/class/net/${m}/operstate`).trim() === 'up'),
      20000,
      'both members up',
    );
    assert.deepEqual(fromTheWire(bed).sort(), ['sw0', 'sw1'], 'both members take frames in');
    const r = streamThroughFailover(flows(16), 'ip link set tblag1 down', 'tblag1');
    log('balance-xor (layer3+4, 16 flows), member down', r);
    assert.ok(
      r.before.tblag0 > 0 && r.before.tblag1 > 0,
      `several flows on both: ${JSON.stringify(r)}`,
    );
    assert.ok(r.after.tblag0 > 0 && r.after.tblag1 === 0, JSON.stringify(r));
    assert.notEqual(r.failover_ms, null);
  });
});
