/**
 * What a guest's acknowledged change costs the daemon on the sim driver (issue 16): a one-VF
 * observe, a one-step plan applied, a one-VF observe again, as the guest-request path runs
 * it. The cost must not grow with the PF's VF count, so the same loop runs on a PF of 8 and
 * of 64 VFs, the two measured back to back in each run so both see the same machine load.
 * Every VF holds a MAC, a MAC filter, a VLAN and a multicast group and one VF mirrors
 * another, so rebuilding the PF's tables on each change would show.
 */
import { ManualClock } from '../src/drivers/sim/clock.js';
import { SimDriver } from '../src/drivers/sim/driver.js';
import { createNic } from '../src/drivers/sim/nic.js';
import type { Plan } from '../src/model/index.js';

const PF = 'sim:c/0';
const CHANGES = 4000;
const RUNS = 7;
const WARM_UP = 3;

const hex = (i: number) => i.toString(16).padStart(2, '0');

function driverWith(vfs: number): SimDriver {
  const nic = createNic(
    [{ name: 'c', ports: 1, totalVfs: vfs, linkSpeedMbps: 100000 }],
    new ManualClock(),
  );
  const pf = nic.pf(PF);
  pf.resize(vfs);
  for (let i = 0; i < vfs; i++) {
    pf.setVfField(i, 'mac', `02:00:00:00:00:${hex(i)}`, true);
    pf.setVfField(i, 'macFilters', [`02:01:00:00:00:${hex(i)}`], true);
    pf.setVfField(i, 'vlans', [100 + i], true);
    pf.setGroups(i, [`01:00:5e:00:01:${hex(i)}`]);
  }
  pf.setMirror(1, { targetVf: 0, direction: 'all' });
  return new SimDriver(nic, null);
}

/** CPU µs per change of `n` changes, VF i % vfs toggling allmulti. */
async function perChange(driver: SimDriver, vfs: number, n: number): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const vf = i % vfs;
    const [before] = await driver.observe({ pf: PF, vf });
    const from = before.vfs[0].settings.allmulti;
    const plan: Plan = {
      steps: [
        {
          kind: 'setVf',
          pf: PF,
          vf,
          name: `g${vf}`,
          field: 'allmulti',
          from,
          to: !from,
          reason: 'ack',
        },
      ],
    };
    const result = await driver.apply(plan);
    const [after] = await driver.observe({ pf: PF, vf });
    if (result.outcomes[0].status !== 'done' || after.vfs[0].settings.allmulti === from) {
      throw new Error(`bench sim: allmulti of vf ${vf} did not change; it measured nothing`);
    }
  }
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / n;
}

/** Best of RUNS µs per change on a PF of 8 and of 64 VFs, after warm-up runs. */
export async function changeCost(): Promise<{ small: number; large: number }> {
  const small = driverWith(8);
  const large = driverWith(64);
  for (let w = 0; w < WARM_UP; w++) {
    await perChange(small, 8, CHANGES);
    await perChange(large, 64, CHANGES);
  }
  let best8 = Number.POSITIVE_INFINITY;
  let best64 = Number.POSITIVE_INFINITY;
  for (let r = 0; r < RUNS; r++) {
    best8 = Math.min(best8, await perChange(small, 8, CHANGES));
    best64 = Math.min(best64, await perChange(large, 64, CHANGES));
  }
  return { small: best8, large: best64 };
}
