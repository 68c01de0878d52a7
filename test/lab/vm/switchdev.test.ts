// Runs inside the lab VM against netdevsim in switchdev mode (test/lab/vm/netdevsim.sh):
// the linux driver's control plane on a real kernel eswitch: the mode change, representor
// discovery through devlink, every compiled rule installed on the representors through
// one `tc -batch`, read back with counters, a rule deleted behind nicvisor's back repaired,
// and what netdevsim refuses (it carries no traffic on its representors, so frames are
// proven on the veth test bed instead: eswitch-diff.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { portMap } from '../../../src/drivers/linux/eswitch/representors.js';
import { TcEswitch } from '../../../src/drivers/linux/eswitch/tc-eswitch.js';
import { spawnTc } from '../../../src/drivers/linux/eswitch/tc-run.js';
import type { LinuxDriver } from '../../../src/drivers/linux/index.js';
import type { VfPolicyInput } from '../../../src/model/index.js';
import { config, newDriver, nextEvent, policies, reconcile, sh, skipUnless } from './helpers.js';

const PF = 'netdevsim10';
const skip = skipUnless('netdevsim');

const POLICIES: VfPolicyInput[] = [
  {
    name: 'trunk',
    pf: PF,
    vf: 0,
    vlans: [10, 20],
    stripOuterTag: false,
    macs: ['02:00:00:00:05:00', '02:00:00:00:05:01'],
  },
  {
    name: 'qinq',
    pf: PF,
    vf: 1,
    vlans: [30],
    vlanProto: '802.1ad',
    macs: ['02:00:00:00:05:10'],
    allowUnknownUnicast: true,
  },
  {
    name: 'mirror',
    pf: PF,
    vf: 2,
    macs: ['02:00:00:00:05:20'],
    mirror: { target: 'trunk', direction: 'all' },
  },
];

describe('linux driver: netdevsim in switchdev mode', { skip }, () => {
  let driver: LinuxDriver;
  const cfg = config([{ pf: PF, numVfs: 4, eswitchMode: 'switchdev' }]);

  before(async () => {
    driver = newDriver(300);
    await driver.start();
  });
  after(async () => {
    await reconcile(driver, config([{ pf: PF, numVfs: 0, eswitchMode: 'legacy' }]), []).catch(
      () => [],
    );
    await driver.stop();
  });

  it('changes the mode, finds the representors and installs every compiled rule', async () => {
    const out = await reconcile(driver, cfg, policies(POLICIES));
    assert.deepEqual(
      out.filter((o) => o.status !== 'done'),
      [],
    );
    const [o] = await driver.observe({ pf: PF });
    assert.equal(o.eswitchMode, 'switchdev');
    assert.ok(o.eswitch && o.eswitch.rules.length > 50, `${o.eswitch?.rules.length} rules`);
    assert.ok(
      o.eswitch.rules.every((r) => !r.id.includes('/foreign/')),
      'no foreign filters',
    );
    assert.ok(
      o.eswitch.rules.every((r) => r.inHw === false),
      'netdevsim runs them in software',
    );
    const ports = o.vfs.map((v) => v.switchPort);
    assert.ok(
      ports.every(
        (p) => p?.via === 'devlink' && p.devlinkPort?.startsWith('netdevsim/netdevsim10/'),
      ),
    );
    assert.equal(new Set(ports.map((p) => p?.switchId)).size, 1, 'one switch id');
    const rep = ports[0]?.representor ?? '';
    const shown = JSON.parse(sh(`tc -j filter show dev ${rep} ingress`)) as { options?: unknown }[];
    assert.equal(
      shown.filter((f) => f.options).length,
      o.eswitch.rules.filter((r) => r.port === 'vf0').length,
    );
    console.log(
      `# ${o.eswitch.rules.length} rules on ${o.vfs.length} representors + uplink; vf0 ↔ ${rep} ↔ ${ports[0]?.devlinkPort}`,
    );
    // Trunks and QinQ are the rules' now: the VF attributes stay neutral in the kernel.
    const ip = JSON.parse(sh(`ip -d -j link show ${o.netdev}`))[0].vfinfo_list as {
      vlan_list?: { vlan?: number }[];
    }[];
    assert.equal(ip[0].vlan_list?.[0]?.vlan ?? 0, 0);
    assert.deepEqual(o.vfs[0].settings.vlans, [10, 20], 'reported as the rules enforce them');
  });

  it('a rule deleted behind its back is detected and repaired', async () => {
    const [o] = await driver.observe({ pf: PF });
    const rule = o.eswitch?.rules.find(
      (r) => r.port === 'vf0' && r.chain === 1 && r.id.includes('/vlan/'),
    );
    assert.ok(rule && rule.handle !== undefined);
    const rep = o.vfs[0].switchPort?.representor;
    const t0 = Date.now();
    const seen = nextEvent(
      driver,
      (e) => e.type === 'changed' && /eswitch rules drifted/.test(e.reason),
      2000,
    );
    sh(
      `tc filter del dev ${rep} ingress chain ${rule.chain} prio ${rule.prio} handle ${rule.handle} protocol 802.1Q flower`,
    );
    await seen;
    const detected = Date.now() - t0;
    await reconcile(driver, cfg, policies(POLICIES));
    const ms = Date.now() - t0;
    const [again] = await driver.observe({ pf: PF });
    assert.ok(
      again.eswitch?.rules.some((r) => r.id === rule.id),
      'the rule is back',
    );
    console.log(
      `# drift: rule ${rule.id} deleted with tc, detected in ${detected} ms, repaired in ${ms} ms (TCG emulation)`,
    );
    // The poll runs every 300 ms here (1 s by default); under TCG each tc spawn costs
    // ~0.3 s. The time is printed, not asserted: bench/switchdev.ts reports the figure.
  });

  it('a renamed representor keeps its rules and its place in the mapping', async () => {
    await reconcile(driver, cfg, policies(POLICIES));
    const [o] = await driver.observe({ pf: PF });
    const rep = o.vfs[1].switchPort?.representor ?? '';
    const handles = () =>
      (JSON.parse(sh(`tc -j filter show dev ${rep} ingress`)) as { options?: { handle: number } }[])
        .flatMap((f) => (f.options ? [f.options.handle] : []))
        .sort();
    const before = handles();
    sh(`ip link set ${rep} down; ip link set ${rep} name nvqinq; ip link set nvqinq up`);
    const renamed = 'nvqinq';
    await reconcile(driver, cfg, policies(POLICIES));
    const [after] = await driver.observe({ pf: PF });
    assert.equal(after.vfs[1].switchPort?.representor, renamed);
    assert.equal(after.vfs[1].switchPort?.devlinkPort, o.vfs[1].switchPort?.devlinkPort);
    const now = (
      JSON.parse(sh(`tc -j filter show dev ${renamed} ingress`)) as {
        options?: { handle: number };
      }[]
    )
      .flatMap((f) => (f.options ? [f.options.handle] : []))
      .sort();
    assert.deepEqual(now, before, 'the same filters, untouched');
    assert.equal(after.eswitch?.rules.length, o.eswitch?.rules.length);
    assert.ok(after.eswitch?.rules.every((r) => !r.id.includes('/foreign/')));
  });

  it('a representor that vanishes and comes back (netns move) gets its rules back, mirrors too', async () => {
    await reconcile(driver, cfg, policies(POLICIES));
    const [o] = await driver.observe({ pf: PF });
    const rep = o.vfs[0].switchPort?.representor ?? '';
    const onRep = o.eswitch?.rules.filter((r) => r.port === 'vf0').length ?? 0;
    const t0 = Date.now();
    const seen = nextEvent(
      driver,
      (e) => e.type === 'changed' && /eswitch rules drifted: .*vf0/.test(e.reason),
      5000,
    );
    let how = 'moved to a netns and back';
    try {
      sh(
        `ip netns add nvaway && ip link set ${rep} netns nvaway && ip -n nvaway link set ${rep} netns 1; rc=$?; ip netns del nvaway; exit $rc`,
      );
    } catch {
      // A representor the driver keeps in its netns (netns_local): recreate the VFs instead.
      how = 'recreated (sriov_numvfs 0, then 4)';
      sh(
        `echo 0 > /sys/bus/netdevsim/devices/${PF}/sriov_numvfs; echo 4 > /sys/bus/netdevsim/devices/${PF}/sriov_numvfs`,
      );
    }
    const why = await seen;
    await reconcile(driver, cfg, policies(POLICIES));
    const ms = Date.now() - t0;
    const [fresh] = await driver.observe({ pf: PF });
    const back = fresh.vfs[0].switchPort?.representor ?? '';
    const shown = JSON.parse(sh(`tc -j filter show dev ${back} ingress`)) as {
      options?: unknown;
    }[];
    assert.equal(shown.filter((f) => f.options).length, onRep, 'its rules are back');
    // vf2 mirrors all to vf0: its filters name vf0's representor again.
    const rep2 = fresh.vfs[2].switchPort?.representor ?? '';
    const mirrorTo = sh(`tc -j filter show dev ${rep2} ingress`);
    assert.ok(mirrorTo.includes(`"to_dev":"${back}"`), 'the mirror copies reach it again');
    const [after] = await driver.observe({ pf: PF });
    assert.equal(after.eswitch?.rules.length, o.eswitch?.rules.length);
    console.log(
      `# ${rep} ${how}: ${why.type === 'changed' ? why.reason : ''}; repaired in ${ms} ms`,
    );
  });

  it('reports what netdevsim refuses: hardware offload of flower (skip_sw)', async () => {
    const ports = await driver.representors(PF);
    assert.ok(ports);
    const [o] = await driver.observe({ pf: PF });
    const probe = new TcEswitch(PF, spawnTc(), 'skip_sw');
    const rules = (o.eswitch?.rules ?? [])
      .filter((r) => r.port === 'vf3')
      .map((r) => ({ ...r, chain: r.chain + 100 }));
    const out = await probe.apply(
      { pf: PF, add: rules, change: [], remove: [], keep: 0 },
      portMap(ports),
    );
    assert.equal(out.status, 'failed');
    if (out.status === 'failed') {
      assert.match(
        out.failures[0].error,
        /the PF, field .*: the kernel refused it: netdevsim: only offload of BPF classifiers supported/,
      );
      console.log(`# netdevsim refuses: ${out.failures[0].error}`);
    }
    const [after] = await driver.observe({ pf: PF });
    assert.equal(
      after.eswitch?.rules.length,
      o.eswitch?.rules.length,
      'the refused batch left nothing behind',
    );
  });

  it('back to legacy: rules and representors go', async () => {
    await reconcile(driver, config([{ pf: PF, numVfs: 4, eswitchMode: 'legacy' }]), []);
    const [o] = await driver.observe({ pf: PF });
    assert.equal(o.eswitchMode, 'legacy');
    assert.equal(o.eswitch, undefined);
    assert.equal((await driver.representors(PF))?.vfs.length, 0);
  });
});
