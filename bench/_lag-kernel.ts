/**
 * Hardware VF-LAG failover on the lab kernel (issue 18), measured inside the lab VM by the
 * switchdev bench (test/lab/vm/bench-switchdev.sh): the veth test bed of
 * test/lab/vm/lag-bed.ts, the VF's eswitch uplink a bond (miimon 10 ms) of two veth
 * members; a VF sends a frame every 2 ms (8 flows) while a member is taken down. Failover
 * time = the kernel's link-down notification → the first frame of a flow the failed member
 * carried seen on the other member (test/lab/vm/failover.py). Software TC and the bonding
 * driver under QEMU TCG: the figure is the kernel's reaction plus emulation, an upper bound
 * for hardware.
 */
import { TcEswitch } from '../src/drivers/linux/eswitch/tc-eswitch.js';
import { spawnTc } from '../src/drivers/linux/eswitch/tc-run.js';
import type { LagMode } from '../src/model/index.js';
import { world } from '../test/eswitch/kit.js';
import { sh } from '../test/lab/vm/env.js';
import {
  BOND,
  buildBond,
  setUpLagBed,
  streamThroughFailover,
  tearDownLagBed,
  udpFrame,
} from '../test/lab/vm/lag-bed.js';
import { atMost, type Bench } from './_report.js';
import { percentile } from './_stats.js';

const VF_MAC = '02:00:00:00:0a:01';
const MIIMON = 10;
const PULLS = 4;

async function failovers(mode: LagMode): Promise<{ ms: number[]; lost: number[] }> {
  const bed = setUpLagBed(1);
  try {
    buildBond(mode, MIIMON);
    const sw = new TcEswitch('bench', spawnTc(), 'skip_hw');
    const rules = world([{ name: 'v', vf: 0, untagged: true, macs: [VF_MAC] }], {
      numVfs: 1,
    }).rules;
    const out = await sw.apply(
      { pf: rules.pf, add: rules.rules, change: [], remove: [], keep: 0 },
      bed.ports,
      undefined,
      { base: 0 },
    );
    if (out.status !== 'done') throw new Error(`bench: rules refused: ${JSON.stringify(out)}`);
    const flows = Array.from({ length: 8 }, (_, i) =>
      udpFrame(VF_MAC, '02:ee:00:00:00:01', 30000 + i),
    );
    const ms: number[] = [];
    const lost: number[] = [];
    for (let i = 0; i < PULLS; i++) {
      // active-backup: the active member; balance-xor: either (alternating).
      const m =
        mode === 'active-backup'
          ? sh(`cat /sys/class/net/${BOND}/bonding/active_slave`).trim()
          : `tblag${i % 2}`;
      const r = streamThroughFailover(flows, `ip link set ${m} down`, m, {
        interval: 2,
        before: 300,
        after: 600,
      });
      if (r.failover_ms !== null) ms.push(r.failover_ms);
      lost.push(r.lost_after_down);
      sh(`ip link set ${m} up`);
      sh(
        `for _ in $(seq 50); do [ "$(cat /sys/class/net/${m}/operstate)" = up ] && break; sleep 0.1; done`,
      );
      sh('sleep 0.2');
    }
    return { ms, lost };
  } finally {
    tearDownLagBed(1);
  }
}

export async function lagKernelFigures(b: Bench): Promise<void> {
  for (const mode of ['active-backup', 'balance-xor'] as const) {
    const { ms, lost } = await failovers(mode);
    const sorted = [...ms].sort((x, y) => x - y);
    b.figure(
      `VF-LAG on the kernel (${mode}, miimon ${MIIMON} ms): failover p50 over ${ms.length} pulls`,
      percentile(sorted, 50),
      'ms',
      atMost(50),
      'member down (netlink) → first frame of a moved flow on the other member',
    );
    b.figure(
      `VF-LAG on the kernel (${mode}): failover, worst of ${ms.length}`,
      sorted[sorted.length - 1] ?? Number.NaN,
      'ms',
    );
    b.figure(
      `VF-LAG on the kernel (${mode}): frames lost per failover, mean (one every 2 ms)`,
      lost.reduce((s, x) => s + x, 0) / Math.max(1, lost.length),
      'frames',
    );
  }
}
