import {
  type DesiredPf,
  type DesiredVf,
  type EswitchRule,
  type EswitchRuleSet,
  type GuestState,
  MainConfig,
  type PfPolicy,
  VfPolicy,
  type VfPolicyInput,
} from '../../src/model/index.js';
import { desiredState } from '../../src/policy/desired.js';
import { compileEswitch } from '../../src/policy/eswitch/compile.js';
import type { HostPort } from '../../src/policy/eswitch/view.js';

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
