// Guarded trust in watch mode on a real PF driver (igb, emulated 82576; test/lab/vm/igb.sh):
// the daemon turns the NIC's trust on for two guarded VFs, their igbvf netdevs change their
// own MAC (`ip link set dev VF address …`, what an unmodified guest driver does), and the
// driver's MAC guard keeps an allowed MAC and reverts the others. The exposure window
// (the guest's change → the revert, both as netlink announces them) is printed as figures.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { atMost, Report } from '../../../bench/_report.js';
import { percentile } from '../../../bench/_stats.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import {
  NETLINK_ROUTE,
  RTM_NEWLINK,
  RTNLGRP_LINK,
} from '../../../src/drivers/linux/netlink/constants.js';
import { decodeLink } from '../../../src/drivers/linux/netlink/link-decode.js';
import { NetlinkListener } from '../../../src/drivers/linux/netlink/transport.js';
import type { AuditEntry } from '../../../src/model/index.js';
import { IGB_NETDEV, ipVfs, sh, skipUnless, waitFor } from './helpers.js';

const run = promisify(execFile);
const PF = IGB_NETDEV;
const RETH = '02:00:00:00:ee:01';
const OWN_A = '02:00:00:00:0a:01';
const OWN_B = '02:00:00:00:0b:01';
const SAMPLES = 12;

function vfNetdev(vf: number): string {
  try {
    return readdirSync(`/sys/class/net/${PF}/device/virtfn${vf}/net`)[0] ?? '';
  } catch {
    return '';
  }
}

describe('guarded trust, watch mode, on igb: a trusted igbvf changes its own MAC', {
  skip: skipUnless('igb'),
}, () => {
  let dir: string;
  let daemon: Daemon;
  let pfIndex = 0;
  const audit: AuditEntry[] = [];
  const fw = (name: string, vf: number, own: string) => ({
    name,
    pf: basename(readlinkSync(`/sys/class/net/${PF}/device`)),
    vf,
    macs: [own, RETH],
    trust: 'guarded',
    guardMode: 'watch',
  });

  before(async () => {
    sh(`echo 0 > /sys/class/net/${PF}/device/sriov_numvfs`);
    sh(`ip link set ${PF} up`);
    pfIndex = Number(sh(`cat /sys/class/net/${PF}/ifindex`).trim());
    dir = await mkdtemp(join(tmpdir(), 'nicvisor-guard-'));
    const stateDir = join(dir, 'state');
    await mkdir(join(stateDir, 'vfs'), { recursive: true });
    const configFile = join(dir, 'nicvisor.json');
    const pf = basename(readlinkSync(`/sys/class/net/${PF}/device`));
    await writeFile(
      configFile,
      JSON.stringify({
        driver: 'linux',
        daemon: {
          stateDir,
          driftIntervalMs: 60000,
          statsIntervalMs: 60000,
          guestRequestsPerSecond: 1000,
          guestRequestBurst: 1000,
        },
        pfs: [{ pf, numVfs: 2 }],
      }),
    );
    for (const v of [fw('fw-a', 0, OWN_A), fw('fw-b', 1, OWN_B)])
      await writeFile(join(stateDir, 'vfs', `${v.name}.json`), JSON.stringify(v));
    daemon = new Daemon({ configFile, log: silentLogger() });
    await daemon.start();
    const t0 = performance.now();
    const at = () => `${((performance.now() - t0) / 1000).toFixed(2)}s`;
    daemon.bus.subscribe((e) => {
      if (e.type !== 'audit') return;
      audit.push(e.entry);
      if (process.env.NICVISOR_GUARD_DEBUG)
        console.log(
          `# ${at()} audit ${e.entry.action} ${e.entry.target} ${e.entry.result}: ${e.entry.reason}`,
        );
    });
    if (process.env.NICVISOR_GUARD_DEBUG) {
      daemon.driver.onEvent((e) => console.log(`# ${at()} driver event ${JSON.stringify(e)}`));
      const inner = daemon.driver.inner;
      const apply = inner.apply.bind(inner);
      inner.apply = async (p) => {
        console.log(
          `# ${at()} apply ${p.steps.map((x) => ('field' in x ? `${x.kind}:${x.field}` : x.kind)).join(',')}`,
        );
        return apply(p);
      };
    }
    await waitFor(() => vfNetdev(0) !== '' && vfNetdev(1) !== '', 60000, 'igbvf netdevs');
    for (const n of [0, 1]) sh(`ip link set ${vfNetdev(n)} up`);
  });
  after(async () => {
    await daemon?.stop();
    sh(`echo 0 > /sys/class/net/${PF}/device/sriov_numvfs`);
    await rm(dir, { recursive: true, force: true });
  });

  it('the NIC trusts both VFs; each starts on its own MAC', () => {
    assert.deepEqual(
      ipVfs(PF).map((v) => [v.address, v.trust]),
      [
        [OWN_A, true],
        [OWN_B, true],
      ],
    );
    assert.equal(daemon.getVf('fw-a').status.syncState, 'in-sync');
  });

  it('an allowed MAC the guest sets itself is kept and shown as the MAC in use', async () => {
    sh(`ip link set dev ${vfNetdev(0)} address ${RETH}`);
    await waitFor(() => daemon.getVf('fw-a').guest.mac === RETH, 10000, 'fw-a granted RETH');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(ipVfs(PF)[0].address, RETH, 'still on the RETH MAC');
    const e = audit.find((x) => x.action === 'guest.request' && x.target === 'fw-a');
    assert.equal(e?.via, 'watch');
    assert.equal(e?.result, 'ack');
  });

  it('the RETH MAC while fw-a holds it, and a MAC outside the list, are reverted', async () => {
    sh(`ip link set dev ${vfNetdev(1)} address ${RETH}`);
    // Match the revert of this very change: the guard may have reverted an earlier MAC of
    // fw-b already (igbvf picks a random MAC when it comes up before the PF gave it one).
    const revertOf = (mac: string) =>
      audit.find(
        (x) =>
          x.action === 'guest.mac.reverted' &&
          x.target === 'fw-b' &&
          (x.request as { seen?: string } | undefined)?.seen === mac,
      );
    await waitFor(() => revertOf(RETH) !== undefined, 30000, 'revert of fw-b');
    assert.equal(ipVfs(PF)[1].address, OWN_B);
    const r = revertOf(RETH);
    assert.deepEqual(r?.request, { pf: fw('x', 0, '').pf, vf: 1, seen: RETH, restored: OWN_B });
    assert.match(r?.reason ?? '', /held by vf 0 \(fw-a\)/);
    assert.equal(ipVfs(PF)[0].address, RETH, 'fw-a untouched');
  });

  it('exposure window: change → revert as netlink announces them', async () => {
    const vfDev = vfNetdev(1);
    const vfIndex = Number(sh(`cat /sys/class/net/${vfDev}/ifindex`).trim());
    let changedAt = 0;
    let revertedAt = 0;
    let want = '';
    const l = new NetlinkListener(NETLINK_ROUTE, [RTNLGRP_LINK]);
    await l.start(
      (msg) => {
        if (msg.type !== RTM_NEWLINK) return;
        const t = performance.now();
        const link = decodeLink(msg.payload);
        if (link.index === vfIndex && link.address === want && changedAt === 0) changedAt = t;
        // The guest's change comes through the mailbox and announces nothing on the PF; the
        // revert is an RTM_SETLINK on the PF, which does (netdev_state_change).
        else if (link.index === pfIndex && changedAt > 0 && revertedAt === 0) revertedAt = t;
      },
      () => {},
    );
    const windows: number[] = [];
    const reverts = () => audit.filter((x) => x.action === 'guest.mac.reverted').length;
    try {
      for (let i = 0; i < SAMPLES; i++) {
        want = `02:00:00:00:66:${(0x10 + i).toString(16)}`;
        changedAt = revertedAt = 0;
        const before = reverts();
        await run('ip', ['link', 'set', 'dev', vfDev, 'address', want]);
        await waitFor(() => reverts() > before && revertedAt > 0, 30000, `revert ${i}`);
        assert.equal(ipVfs(PF)[1].address, OWN_B, `sample ${i} reverted`);
        windows.push(revertedAt - changedAt);
      }
    } finally {
      await l.stop();
    }
    windows.sort((a, b) => a - b);
    const b = new Report().bench('guard (lab VM, igb, TCG)');
    b.figure(
      'MAC guard: exposure window p50 (guest change → revert)',
      percentile(windows, 50),
      'ms',
      atMost(300),
    );
    b.figure(
      'MAC guard: exposure window p99',
      percentile(windows, 99),
      'ms',
      atMost(1000),
      `${SAMPLES} changes`,
    );
    const last = audit.filter((x) => x.action === 'guest.mac.reverted').at(-1);
    assert.match(last?.reason ?? '', /not in the allow-list of vf 1 \(fw-b\)/);
  });
});
