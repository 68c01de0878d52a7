/**
 * Helpers for the tests that run inside the lab VM (test/lab/run-lab.sh): a small
 * reconcile loop over the real policy code (desiredState + plan) and the driver, and an
 * independent read-back through `ip -json`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverEvent } from '../../../src/drivers/driver.js';
import { LinuxDriver } from '../../../src/drivers/linux/index.js';
import {
  type ApplyResult,
  MainConfig,
  type MainConfigInput,
  VfPolicy,
  type VfPolicyInput,
} from '../../../src/model/index.js';
import { desiredState } from '../../../src/policy/desired.js';
import { plan } from '../../../src/policy/plan.js';
import { SLACK, sh } from './env.js';

export { IGB_NETDEV, LAB, sh, skipUnless, waitFor } from './env.js';

export interface IpVf {
  vf: number;
  address: string;
  vlan_list?: Array<{ vlan?: number; qos?: number; protocol?: string }>;
  rate: { max_tx: number; min_tx: number };
  spoofchk: boolean;
  link_state: string;
  trust: boolean;
}

/** `ip -details -json link show DEV` → its VFs, read defensively (see netlink-facts.md). */
export function ipVfs(netdev: string): IpVf[] {
  const j = JSON.parse(sh(`ip -details -json link show ${netdev}`)) as Array<{
    vfinfo_list?: IpVf[];
  }>;
  return j[0]?.vfinfo_list ?? [];
}

export function ipVlan(v: IpVf): { vlan: number; qos: number; proto: string } {
  const x = v.vlan_list?.[0] ?? {};
  return { vlan: x.vlan ?? 0, qos: x.qos ?? 0, proto: x.protocol ?? '802.1Q' };
}

export function newDriver(pollIntervalMs = 300): LinuxDriver {
  return new LinuxDriver({
    sysfsRoot: '/sys',
    stateDir: mkdtempSync(join(tmpdir(), 'nicvisor-state-')),
    pollIntervalMs,
  });
}

export function config(pfs: MainConfigInput['pfs']): MainConfig {
  return MainConfig.parse({ driver: 'linux', pfs });
}

export function policies(list: VfPolicyInput[]): VfPolicy[] {
  return list.map((p) => VfPolicy.parse(p));
}

/**
 * What the daemon's reconciler does, reduced: observe, plan, apply, until nothing is left
 * (a VF count change needs a second round: the kernel recreates the VFs).
 */
export async function reconcile(
  driver: LinuxDriver,
  cfg: MainConfig,
  pols: VfPolicy[],
): Promise<ApplyResult['outcomes']> {
  const all: ApplyResult['outcomes'] = [];
  for (let round = 0; round < 4; round++) {
    const observed = await driver.observe();
    const p = plan(desiredState(cfg, pols, new Map(), new Map()), observed);
    if (p.steps.length === 0 && (p.eswitch ?? []).length === 0) return all;
    const r = await driver.apply(p);
    all.push(...r.outcomes);
    if (r.outcomes.some((o) => o.status !== 'done')) return all;
    const refused = (r.eswitch ?? []).flatMap((o) => (o.status === 'failed' ? o.failures : []));
    if (refused.length > 0) {
      throw new Error(
        `eswitch rules refused: ${refused
          .slice(0, 3)
          .map((f) => f.error)
          .join('; ')}`,
      );
    }
  }
  throw new Error('reconcile did not converge in 4 rounds');
}

/** Resolves with the first event matching `pred`, or rejects after `ms` × SLACK. */
export function nextEvent(
  driver: LinuxDriver,
  pred: (e: DriverEvent) => boolean,
  ms: number,
): Promise<DriverEvent> {
  return new Promise((resolve, reject) => {
    const off = driver.onEvent((e) => {
      if (!pred(e)) return;
      clearTimeout(t);
      off();
      resolve(e);
    });
    const t = setTimeout(() => {
      off();
      reject(new Error(`no matching driver event within ${ms * SLACK} ms`));
    }, ms * SLACK);
  });
}

export function pfNetdev(sysPath: string): string {
  return sh(`ls ${sysPath}/net`).trim().split('\n')[0];
}
