import type { PlanStep, StepOutcome } from '../../model/index.js';
import { UnsupportedError } from '../driver.js';
import { NetlinkError } from './netlink/message.js';
import type { PfEntry } from './pf-registry.js';
import type { Devlink, Rtnl } from './rtnl.js';
import type { Sysfs } from './sysfs.js';

export interface PfApplyContext {
  rtnl: Rtnl;
  devlink: Devlink;
  sysfs: Sysfs;
  entry: PfEntry;
}

type PfStep = Extract<PlanStep, { kind: 'setNumVfs' | 'setPf' | 'setEswitchMode' }>;

function failed(step: PlanStep, error: string): StepOutcome {
  return { step, status: 'failed', error };
}

/** One PF-level step: VF count through sysfs, MTU through rtnetlink, eswitch through devlink. */
export async function applyPfStep(ctx: PfApplyContext, step: PfStep): Promise<StepOutcome> {
  const { sys, caps } = ctx.entry;
  const name = `PF ${sys.id} (${sys.netdev})`;
  try {
    switch (step.kind) {
      case 'setNumVfs':
        if (step.to > caps.totalVfs) {
          return failed(
            step,
            `${name}: numVfs ${step.to} is above the device limit; allowed 0-${caps.totalVfs}; fix: lower numVfs${sys.totalVfs === undefined ? ' or set totalVfs in the PF policy (netdevsim: raise debugfs max_vfs)' : ''}`,
          );
        }
        return await setNumVfs(ctx, step);
      case 'setEswitchMode':
        if (!caps.eswitchModes.includes(step.to)) {
          const e = new UnsupportedError(
            caps.driver,
            'eswitchMode',
            `${name} offers ${caps.eswitchModes.join(', ')} only`,
          );
          return failed(step, e.message);
        }
        await ctx.devlink.setEswitchMode(ctx.entry.devlink, step.to);
        return { step, status: 'done' };
      case 'setPf':
        return await setPfField(ctx, step as Extract<PfStep, { kind: 'setPf' }>, name);
    }
  } catch (e) {
    return failed(step, e instanceof Error ? e.message : String(e));
  }
}

async function setPfField(
  ctx: PfApplyContext,
  step: Extract<PfStep, { kind: 'setPf' }>,
  name: string,
): Promise<StepOutcome> {
  if (step.field === 'mtu') {
    // Only sent when it differs (plan() guarantees it): on igb any MTU write resets every VF.
    const ack = await ctx.rtnl.setMtu(ctx.entry.sys.ifindex, step.to as number);
    if (ack.errno !== 0) {
      const e = new NetlinkError(
        `${name}: \`ip link set ${ctx.entry.sys.netdev} mtu ${step.to}\``,
        ack,
      );
      return failed(step, `${e.message}; allowed 68-${ctx.entry.caps.maxMtu}`);
    }
    return { step, status: 'done' };
  }
  const neutral = step.field === 'loopback' ? step.to === true : JSON.stringify(step.to) === '[]';
  if (neutral) return { step, status: 'done' };
  const limit = ctx.entry.caps.unsupportedPfFields[step.field === 'loopback' ? 'loopback' : 'qos'];
  const e = new UnsupportedError(
    ctx.entry.caps.driver,
    step.field,
    `${name}: ${limit?.reason ?? 'not supported'}`,
  );
  return failed(step, e.message);
}

/**
 * Writes the VF count. igb resets the port when SR-IOV is enabled or disabled and its link
 * renegotiates for a few seconds, during which it refuses every VF rate (EINVAL): wait for
 * the carrier to come back when it was up before, so the VF steps that follow succeed.
 */
async function setNumVfs(ctx: PfApplyContext, step: Extract<PfStep, { kind: 'setNumVfs' }>) {
  const { sys } = ctx.entry;
  const hadCarrier = await ctx.sysfs.carrier(sys.netdev);
  await ctx.sysfs.setNumVfs(sys, step.to);
  if (hadCarrier) await ctx.sysfs.waitForCarrier(sys.netdev, CARRIER_WAIT_MS);
  return { step, status: 'done' } as StepOutcome;
}

const CARRIER_WAIT_MS = 10000;
