import type { PfCapabilities, PlanStep, StepOutcome } from '../../model/index.js';
import { isUnicastMac, ZERO_MAC } from '../../model/index.js';
import { fixFor, ipEquivalent } from './ip-equivalent.js';
import type { VfChange } from './netlink/link-request.js';
import { errnoName, type NlAck } from './netlink/message.js';
import type { Rtnl } from './rtnl.js';
import {
  changeOf,
  groupOf,
  KERNEL_FIELDS,
  type KernelState,
  RULE_FIELDS,
  refusal,
  withField,
} from './settings.js';

type SetVf = Extract<PlanStep, { kind: 'setVf' }>;

const EINVAL = 22;
/** How long a refused rate waits for a settling PF link (igb: ~3 s under emulation). */
const CARRIER_WAIT_MS = 8000;

/** What apply needs from the driver, kept narrow so it can be tested on its own. */
export interface VfApplyContext {
  rtnl: Rtnl;
  /** Netdev, ifindex and capabilities of a PF; undefined when it is unknown. */
  pf(id: string):
    | {
        netdev: string;
        ifindex: number;
        /** The capabilities in force in the PF's eswitch mode. */
        caps: PfCapabilities;
        driver: string;
        /** In switchdev mode the eswitch rules enforce RULE_FIELDS, not VF attributes. */
        switchdev: boolean;
      }
    | undefined;
  /** Current kernel state of these VFs (cached, or read in one pipelined request). */
  kernelStates(keys: Array<{ pf: string; vf: number }>): Promise<Map<string, KernelState>>;
  /** The kernel now holds this state for the VF (after an ACK). */
  remember(pf: string, vf: number, s: KernelState): void;
  /** A field the kernel does not hold was applied: report it back from now on. */
  record(pf: string, vf: number, field: SetVf['field'], value: unknown): void;
  /**
   * Called before any of these VFs is changed, with the state each had: saves it for the VFs
   * changed for the first time (in one batch, so a first apply of 2048 VFs waits once).
   */
  takeOver(vfs: Array<{ pf: string; vf: number; before: KernelState }>): Promise<void>;
  /** The PF's link as sysfs shows it now, e.g. `link down` or `link up at 1000 Mbps`. */
  linkNow(pf: string): Promise<string>;
  /**
   * After a rate was refused: waits for the PF's link to settle (carrier back, or a short
   * pause when it is up) and says whether a retry can succeed before `deadline` — false at
   * once when the PF is administratively down or its link is slower than `maxRate`.
   */
  settleForRate(pf: string, maxRate: number, deadline: number): Promise<boolean>;
}

interface VfWork {
  pf: string;
  vf: number;
  steps: SetVf[];
}

const key = (pf: string, vf: number) => `${pf}#${vf}`;

export function describeRefusal(
  pfId: string,
  netdev: string,
  driver: string,
  c: VfChange,
  ack: NlAck,
): string {
  const { code, text } = errnoName(ack.errno);
  const kernel = ack.extack ? `; kernel says "${ack.extack}"` : '';
  return `PF ${pfId} (${netdev}) vf ${c.vf}: \`${ipEquivalent(netdev, c)}\` refused: ${text} (${code})${kernel}; fix: ${fixFor(code, driver)}`;
}

/**
 * Values the kernel would refuse with a bare EINVAL, caught first so the error names the
 * object, the value and the allowed range. The kernel stays the judge of everything else.
 */
function outOfRange(field: SetVf['field'], v: unknown): string | null {
  if (field === 'vlans') {
    const bad = (v as number[]).find((x) => !Number.isInteger(x) || x < 1 || x > 4094);
    return bad === undefined
      ? null
      : `vlan ${bad} is out of range 1-4094; fix: use a VLAN ID 1-4094`;
  }
  if (field === 'vlanQoS' && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 7)) {
    return `vlanQoS ${v} is out of range 0-7; fix: use an 802.1p priority 0-7`;
  }
  if (field === 'mac' && !isUnicastMac(String(v)) && String(v) !== ZERO_MAC) {
    return `mac ${v} is not a unicast MAC; fix: use a MAC whose first octet is even, e.g. 02:…`;
  }
  return null;
}

function skipped(step: SetVf, why: string): StepOutcome {
  return { step, status: 'skipped', error: `an earlier step of vf ${step.vf} failed: ${why}` };
}

function groupSteps(steps: SetVf[]): VfWork[] {
  const byVf = new Map<string, VfWork>();
  for (const s of steps) {
    const k = key(s.pf, s.vf);
    const w = byVf.get(k) ?? { pf: s.pf, vf: s.vf, steps: [] };
    w.steps.push(s);
    byVf.set(k, w);
  }
  return [...byVf.values()];
}

/** One VF's steps turned into a single change; fields the kernel does not hold are recorded. */
function prepare(
  ctx: VfApplyContext,
  w: VfWork,
  caps: PfCapabilities,
  before: KernelState,
  out: Map<SetVf, StepOutcome>,
  switchdev = false,
): { change: VfChange | null; after: KernelState; sent: SetVf[] } {
  let after = before;
  const groups = new Set<string>();
  const sent: SetVf[] = [];
  let failed: string | null = null;
  for (const step of w.steps) {
    if (failed) {
      out.set(step, skipped(step, failed));
      continue;
    }
    const refused = refusal(caps, step.field, step.to) ?? outOfRange(step.field, step.to);
    if (refused) {
      failed = `PF ${w.pf} vf ${w.vf}: ${refused}`;
      out.set(step, { step, status: 'failed', error: failed });
      continue;
    }
    if (!KERNEL_FIELDS.has(step.field)) {
      ctx.record(w.pf, w.vf, step.field, step.to);
      out.set(step, { step, status: 'done' });
      continue;
    }
    if (switchdev && RULE_FIELDS.has(step.field)) {
      // The rules enforce it: record it, and keep the VF attribute neutral in the kernel.
      ctx.record(w.pf, w.vf, step.field, step.to);
      const neutral = withField(after, step.field, RULE_FIELDS.get(step.field));
      const g = groupOf(step.field);
      // VF rates are refused in switchdev mode (netdevsim, mlx5: "use devlink API"): never sent.
      if (g && g !== 'rate' && JSON.stringify(neutral) !== JSON.stringify(after)) {
        after = neutral;
        groups.add(g);
        sent.push(step);
      } else out.set(step, { step, status: 'done' });
      continue;
    }
    after = withField(after, step.field, step.to);
    // With no VLAN the kernel reports 802.1Q whatever was asked; remember what was.
    if (step.field === 'vlanProto') ctx.record(w.pf, w.vf, step.field, step.to);
    const g = groupOf(step.field);
    // igb refuses any `state`, even auto: a neutral value of an unsupported field is not sent.
    const unsupported = step.field in caps.unsupportedVfFields;
    if (g && !unsupported) groups.add(g);
    if (g && unsupported) out.set(step, { step, status: 'done' });
    else sent.push(step);
  }
  // Steps before a refused one still go to the kernel; the rest were marked skipped above.
  return { change: groups.size > 0 ? changeOf(w.vf, after, groups) : null, after, sent };
}

/** Retries a refused VF field by field (in plan order) so the error lands on its step. */
async function pinpoint(
  ctx: VfApplyContext,
  w: VfWork,
  before: KernelState,
  sent: SetVf[],
  out: Map<SetVf, StepOutcome>,
): Promise<void> {
  const pf = ctx.pf(w.pf);
  if (!pf) return;
  let state = before;
  let failed: string | null = null;
  for (const step of sent) {
    if (failed) {
      out.set(step, skipped(step, failed));
      continue;
    }
    const next = withField(state, step.field, step.to);
    const change = changeOf(w.vf, next, [groupOf(step.field) ?? '']);
    let [ack] = await ctx.rtnl.setVfs([{ ifindex: pf.ifindex, change }]);
    // igb refuses any rate while its link is down, and after a PF reset (SR-IOV re-enabled,
    // driver reload) it keeps refusing for a moment after sysfs already shows the carrier:
    // its check reads the link register and the speed its watchdog last saw. A rate that fits
    // the link sysfs reports is retried until the link settles (seen in the lab VM on igb).
    const deadline = Date.now() + CARRIER_WAIT_MS;
    while (
      ack.errno === EINVAL &&
      change.rate &&
      (await ctx.settleForRate(w.pf, change.rate.max, deadline))
    ) {
      [ack] = await ctx.rtnl.setVfs([{ ifindex: pf.ifindex, change }]);
    }
    if (ack.errno === 0) {
      state = next;
      ctx.remember(w.pf, w.vf, state);
      out.set(step, { step, status: 'done' });
    } else {
      failed = describeRefusal(w.pf, pf.netdev, pf.driver, change, ack);
      // igb refuses any rate while the PF link is down and above the current speed.
      if (change.rate)
        failed += `; the PF's ${await ctx.linkNow(w.pf)} (rates are checked against the current link speed)`;
      out.set(step, { step, status: 'failed', error: failed });
    }
  }
}

/**
 * Applies setVf steps: one RTM_SETLINK per VF carrying all its fields, every VF's message
 * sent in one go and each ACK checked. A refused message is retried field by field so the
 * error names the field, the value and the kernel's reason.
 */
export async function applyVfSteps(ctx: VfApplyContext, steps: SetVf[]): Promise<StepOutcome[]> {
  const out = new Map<SetVf, StepOutcome>();
  const work = groupSteps(steps);
  const known = await ctx.kernelStates(
    work.filter((w) => ctx.pf(w.pf)).map((w) => ({ pf: w.pf, vf: w.vf })),
  );
  const batch: Array<{
    w: VfWork;
    change: VfChange;
    before: KernelState;
    after: KernelState;
    sent: SetVf[];
  }> = [];
  type Pf = NonNullable<ReturnType<VfApplyContext['pf']>>;
  const present: Array<{ w: VfWork; pf: Pf; before: KernelState }> = [];
  for (const w of work) {
    const pf = ctx.pf(w.pf);
    const before = known.get(key(w.pf, w.vf));
    if (pf && before) {
      present.push({ w, pf, before });
      continue;
    }
    const why = pf
      ? `PF ${w.pf} (${pf.netdev}) has no vf ${w.vf}; allowed 0-${(pf.caps.totalVfs || 1) - 1} below the PF's numVfs; fix: raise numVfs in the PF policy`
      : `PF ${w.pf} not found; fix: check the PCI address in the policy against \`nicvisor show pfs\``;
    for (const step of w.steps) out.set(step, { step, status: 'failed', error: why });
  }
  await ctx.takeOver(present.map(({ w, before }) => ({ pf: w.pf, vf: w.vf, before })));
  for (const { w, pf, before } of present) {
    const p = prepare(ctx, w, pf.caps, before, out, pf.switchdev);
    if (p.change) batch.push({ w, change: p.change, before, after: p.after, sent: p.sent });
    else for (const s of p.sent) if (!out.has(s)) out.set(s, { step: s, status: 'done' });
  }
  const acks = await ctx.rtnl.setVfs(
    batch.map((b) => ({ ifindex: ctx.pf(b.w.pf)?.ifindex ?? 0, change: b.change })),
  );
  for (const [i, b] of batch.entries()) {
    if (acks[i].errno === 0) {
      ctx.remember(b.w.pf, b.w.vf, b.after);
      for (const s of b.sent) out.set(s, { step: s, status: 'done' });
    } else {
      await pinpoint(ctx, b.w, b.before, b.sent, out);
    }
  }
  return steps.map(
    (s) => out.get(s) ?? { step: s, status: 'failed', error: 'internal: step not applied' },
  );
}
