import assert from 'node:assert/strict';
import { ManualClock } from '../../src/drivers/sim/clock.js';
import { createSimDriver, type SimDriver } from '../../src/drivers/sim/index.js';
import {
  type EswitchMode,
  type GuestState,
  MainConfig,
  type PfPolicy,
  VfPolicy,
  type VfPolicyInput,
} from '../../src/model/index.js';
import { type DesiredState, desiredState } from '../../src/policy/desired.js';
import { plan } from '../../src/policy/plan.js';

export const PF = 'sim:nic0/0';

export interface Programmed {
  driver: SimDriver;
  clock: ManualClock;
  desired: DesiredState;
}

/**
 * A sim PF programmed the way the daemon does it (desired state → plan → apply, until the
 * plan is empty), in legacy or switchdev mode. `setup` runs first (the host interface).
 */
export async function programmed(
  mode: EswitchMode,
  policies: Omit<VfPolicyInput, 'pf'>[],
  pf: Partial<PfPolicy> = {},
  guests = new Map<string, GuestState>(),
  setup: (driver: SimDriver) => void = () => {},
): Promise<Programmed> {
  const clock = new ManualClock();
  const config = MainConfig.parse({
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: 1, totalVfs: 64 }] },
    pfs: [{ pf: PF, numVfs: 8, ...pf, eswitchMode: mode }],
  });
  const driver = await createSimDriver({ config, stateDir: '/nonexistent' }, { clock });
  const parsed = policies.map((p) => VfPolicy.parse({ pf: PF, ...p }));
  const desired = desiredState(config, parsed, guests, new Map());
  setup(driver);
  for (let round = 0; ; round++) {
    const p = plan(desired, await driver.observe());
    if (p.steps.length === 0 && (p.eswitch ?? []).length === 0) break;
    assert.ok(round < 4, 'the plan converges');
    const r = await driver.apply(p);
    const bad = [
      ...r.outcomes.filter((o) => o.status !== 'done'),
      ...(r.eswitch ?? []).filter((o) => o.status !== 'done'),
    ];
    assert.deepEqual(bad, [], 'every step and rule is applied');
  }
  return { driver, clock, desired };
}
