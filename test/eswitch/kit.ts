import assert from 'node:assert/strict';
import { ManualClock } from '../../src/drivers/sim/clock.js';
import { createSimDriver, type SimDriver } from '../../src/drivers/sim/index.js';
import {
  type DesiredPf,
  type DesiredVf,
  type EswitchMode,
  type EswitchRule,
  type EswitchRuleSet,
  type GuestState,
  MainConfig,
  type PfPolicy,
  VfPolicy,
  type VfPolicyInput,
} from '../../src/model/index.js';
import { type DesiredState, desiredState } from '../../src/policy/desired.js';
import { compileEswitch } from '../../src/policy/eswitch/compile.js';
import type { HostPort } from '../../src/policy/eswitch/view.js';
import { plan } from '../../src/policy/plan.js';

/** Shared set-up of the eswitch tests: a switchdev PF compiled, or a sim PF programmed. */
export const PF = 'sim:nic0/0';

export interface World {
  pf: DesiredPf;
  vfs: DesiredVf[];
  rules: EswitchRuleSet;
}

/** Desired state of one switchdev PF and its VFs (as the daemon computes it), compiled. */
export function world(
  policies: Omit<VfPolicyInput, 'pf'>[],
  pf: Partial<PfPolicy> = {},
  guests = new Map<string, GuestState>(),
  host?: HostPort,
): World {
  const config = MainConfig.parse({
    driver: 'sim',
    pfs: [{ pf: PF, numVfs: 8, eswitchMode: 'switchdev', ...pf }],
  });
  const parsed = policies.map((p) => VfPolicy.parse({ pf: PF, ...p }));
  const d = desiredState(config, parsed, guests, new Map());
  const rules = compileEswitch({ pf: d.pfs[0], vfs: d.vfs }, host);
  return { pf: d.pfs[0], vfs: d.vfs, rules };
}

/** The rules of one port and chain, in order. */
export function chainOf(w: World, port: string, chain: number): EswitchRule[] {
  return w.rules.rules.filter((r) => r.port === port && r.chain === chain);
}

export function byId(w: World, id: string): EswitchRule {
  const r = w.rules.rules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}; have ${w.rules.rules.map((x) => x.id).join(' ')}`);
  return r;
}

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
