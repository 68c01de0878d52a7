import {
  capabilitiesIn,
  type GuestState,
  type MainConfig,
  type PfCapabilities,
  type PfPolicy,
  type Problem,
  type VfPolicy,
} from '../../model/index.js';

/** Capabilities of each PF the driver discovered, keyed by PF id. */
export type CapabilityMap = ReadonlyMap<string, PfCapabilities>;

/** A parsed VF policy and the file it came from. */
export interface SourcedPolicy {
  file: string;
  policy: VfPolicy;
}

/**
 * Everything a rule needs, indexed once so every rule is a pass over maps (8 PFs × 256 VFs
 * must validate in milliseconds, so no rule may scan all VFs per VF).
 */
export interface RuleContext {
  mainFile: string;
  config: MainConfig;
  /** The limits in force for each PF: its driver's, in the PF's eswitch mode. */
  caps: CapabilityMap;
  vfs: readonly SourcedPolicy[];
  /** PF id → its index in `config.pfs` (first occurrence). */
  pfIndex: ReadonlyMap<string, number>;
  /** PF id → the VF policies on it, in input order. */
  byPf: ReadonlyMap<string, readonly SourcedPolicy[]>;
  /** VF name → the first policy with that name. */
  byName: ReadonlyMap<string, SourcedPolicy>;
  /** VF name → what its guest was granted (before pruning by the new policy). */
  guests: ReadonlyMap<string, GuestState>;
}

/** One validation rule: appends what it finds; never throws, never stops at the first. */
export type Rule = (ctx: RuleContext, out: Problem[]) => void;

export function buildContext(
  mainFile: string,
  config: MainConfig,
  vfs: readonly SourcedPolicy[],
  caps: CapabilityMap,
  guests: ReadonlyMap<string, GuestState> = new Map(),
): RuleContext {
  const pfIndex = new Map<string, number>();
  config.pfs.forEach((p, i) => {
    if (!pfIndex.has(p.pf)) pfIndex.set(p.pf, i);
  });
  const byPf = new Map<string, SourcedPolicy[]>();
  const byName = new Map<string, SourcedPolicy>();
  for (const s of vfs) {
    const list = byPf.get(s.policy.pf);
    if (list) list.push(s);
    else byPf.set(s.policy.pf, [s]);
    if (!byName.has(s.policy.name)) byName.set(s.policy.name, s);
  }
  const inMode = new Map<string, PfCapabilities>();
  for (const [id, c] of caps) {
    const pf = config.pfs.find((p) => p.pf === id);
    inMode.set(id, pf ? capabilitiesIn(c, pf.eswitchMode) : c);
  }
  return { mainFile, config, caps: inMode, vfs, pfIndex, byPf, byName, guests };
}

export function pfOf(ctx: RuleContext, pfId: string): PfPolicy | undefined {
  const i = ctx.pfIndex.get(pfId);
  return i === undefined ? undefined : ctx.config.pfs[i];
}

/** `vf 3 (db-2) on sim:nic0/0` — how every VF is named in messages. */
export function vfLabel(p: Pick<VfPolicy, 'vf' | 'name' | 'pf'>): string {
  return `vf ${p.vf} (${p.name}) on ${p.pf}`;
}

export function show(v: unknown): string {
  if (v === undefined) return 'unset';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export interface ProblemText {
  field: string;
  value: unknown;
  allowed: string;
  fix: string;
  /** The message without the VF/PF prefix. */
  what: string;
}

export function vfProblem(s: SourcedPolicy, t: ProblemText): Problem {
  return {
    file: s.file,
    field: t.field,
    value: t.value,
    allowed: t.allowed,
    fix: t.fix,
    message: `${vfLabel(s.policy)}: ${t.what}`,
  };
}

/** A problem of the PF entry `pfs.N` in the main config; `t.field` is relative to it. */
export function pfProblem(ctx: RuleContext, pfId: string, t: ProblemText): Problem {
  const i = ctx.pfIndex.get(pfId);
  return {
    file: ctx.mainFile,
    field: i === undefined ? t.field : t.field ? `pfs.${i}.${t.field}` : `pfs.${i}`,
    value: t.value,
    allowed: t.allowed,
    fix: t.fix,
    message: `PF ${pfId}: ${t.what}`,
  };
}

/** The problem of an entry listed a second time in one of a VF's lists (`macs`, `vlans`). */
export function listedTwice(s: SourcedPolicy, list: string, i: number, value: unknown): Problem {
  const what = list === 'macs' ? 'MAC' : 'vlan';
  return vfProblem(s, {
    field: `${list}.${i}`,
    value,
    allowed: `each ${what.toUpperCase()} once`,
    fix: `remove the second ${value} from ${list}`,
    what: `${what} ${value} is listed twice`,
  });
}

/** Lists at most `n` items, then "and K more", so one problem never floods the terminal. */
export function listSome(items: readonly string[], n = 5): string {
  if (items.length <= n) return items.join(', ');
  return `${items.slice(0, n).join(', ')} and ${items.length - n} more`;
}
