import { HASHED_MODES, LAG_NAME_RE, type Lag, type Problem } from '../../model/index.js';
import { pfOf, type Rule, type RuleContext, show } from './context.js';

interface LagText {
  field: string;
  value: unknown;
  allowed: string;
  fix: string;
  what: string;
}

/** A problem of the LAG entry `lags.N` in the main config. */
function lagProblem(ctx: RuleContext, i: number, lag: Lag, t: LagText): Problem {
  return {
    file: ctx.mainFile,
    field: t.field ? `lags.${i}.${t.field}` : `lags.${i}`,
    value: t.value,
    allowed: t.allowed,
    fix: t.fix,
    message: `LAG ${lag.name}: ${t.what}`,
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Names are unique and usable as a bond netdev; members are two distinct, listed PFs. */
function identity(
  ctx: RuleContext,
  lag: Lag,
  i: number,
  out: Problem[],
  owner: Map<string, string>,
) {
  const p = (t: LagText) => out.push(lagProblem(ctx, i, lag, t));
  if (!LAG_NAME_RE.test(lag.name)) {
    p({
      field: 'name',
      value: lag.name,
      allowed: '[A-Za-z0-9_-]{1,15} (a kernel interface name)',
      fix: 'use at most 15 letters, digits, _ or -, e.g. bond0',
      what: `name ${JSON.stringify(lag.name)} cannot name a bond interface`,
    });
  }
  const first = ctx.config.lags.findIndex((l) => l.name === lag.name);
  if (first !== i) {
    p({
      field: 'name',
      value: lag.name,
      allowed: 'each LAG name once',
      fix: `rename one of lags.${first} and lags.${i}`,
      what: `name is also used by lags.${first}`,
    });
  }
  const [a, b] = lag.members;
  if (a !== undefined && a === b) {
    p({
      field: 'members.1',
      value: b,
      allowed: 'two different PFs',
      fix: 'list the second port of the NIC as the other member',
      what: `lists PF ${a} twice`,
    });
  }
  lag.members.forEach((m, k) => {
    if (k === 1 && m === a) return;
    if (!pfOf(ctx, m)) {
      p({
        field: `members.${k}`,
        value: m,
        allowed: ctx.config.pfs.map((x) => x.pf).join(', ') || 'no PFs listed',
        fix: `add a PF policy for ${m} to pfs, or name a listed PF`,
        what: `member ${m} is not a PF of this configuration`,
      });
    }
    const other = owner.get(m);
    if (other !== undefined && other !== lag.name) {
      p({
        field: `members.${k}`,
        value: m,
        allowed: 'a PF in at most one LAG',
        fix: `remove ${m} from LAG ${lag.name} or from LAG ${other}`,
        what: `member ${m} is already a member of LAG ${other}`,
      });
    } else owner.set(m, lag.name);
  });
}

/** Options that only some modes use are refused elsewhere, so nothing is silently ignored. */
function modeOptions(ctx: RuleContext, lag: Lag, i: number, out: Problem[]) {
  const p = (t: LagText) => out.push(lagProblem(ctx, i, lag, t));
  if (lag.xmitHashPolicy !== undefined && !HASHED_MODES.includes(lag.mode)) {
    p({
      field: 'xmitHashPolicy',
      value: lag.xmitHashPolicy,
      allowed: 'only with mode balance-xor or 802.3ad',
      fix: 'remove xmitHashPolicy, or set mode to balance-xor or 802.3ad',
      what: `mode ${lag.mode} sends on one member; xmitHashPolicy would be ignored`,
    });
  }
  if (lag.lacpRate !== undefined && lag.mode !== '802.3ad') {
    p({
      field: 'lacpRate',
      value: lag.lacpRate,
      allowed: 'only with mode 802.3ad',
      fix: 'remove lacpRate, or set mode to 802.3ad',
      what: `mode ${lag.mode} runs no LACP; lacpRate would be ignored`,
    });
  }
  if (lag.primary !== undefined) {
    if (lag.mode !== 'active-backup') {
      p({
        field: 'primary',
        value: lag.primary,
        allowed: 'only with mode active-backup',
        fix: 'remove primary, or set mode to active-backup',
        what: `mode ${lag.mode} uses both members; primary would be ignored`,
      });
    } else if (!lag.members.includes(lag.primary)) {
      p({
        field: 'primary',
        value: lag.primary,
        allowed: lag.members.join(', '),
        fix: 'name one of the members as primary',
        what: `primary ${lag.primary} is not a member`,
      });
    }
  }
}

/** The driver bonds these PFs in this mode; hardware VF-LAG needs one NIC in switchdev. */
function driverAndHardware(ctx: RuleContext, lag: Lag, i: number, out: Problem[]) {
  const p = (t: LagText) => out.push(lagProblem(ctx, i, lag, t));
  const members = lag.members.filter((m) => pfOf(ctx, m) && ctx.caps.get(m));
  for (const m of members) {
    const caps = ctx.caps.get(m);
    if (!caps) continue;
    const k = lag.members.indexOf(m);
    if (!caps.lag) {
      p({
        field: `members.${k}`,
        value: m,
        allowed: 'a PF whose driver can bond',
        fix: 'remove the LAG, or use PFs of a driver that builds bonds',
        what: `driver ${caps.driver} of ${m} cannot bond PFs`,
      });
      continue;
    }
    if (!caps.lag.modes.includes(lag.mode)) {
      p({
        field: 'mode',
        value: lag.mode,
        allowed: caps.lag.modes.join(', '),
        fix: `set mode to one of ${caps.lag.modes.join(', ')}`,
        what: `driver ${caps.driver} of ${m} does not build mode ${lag.mode}`,
      });
    }
    if (lag.vfLag && !caps.lag.vfLag) {
      p({
        field: 'vfLag',
        value: true,
        allowed: 'false (a host bond; pair VFs with haPeer for a guest bond)',
        fix: 'set vfLag to false and give each VF on the members an haPeer on the other member',
        what: `driver ${caps.driver} of ${m} cannot back VFs by both ports: ${caps.lag.vfLagReason ?? 'no hardware VF-LAG'}`,
      });
    }
    if (lag.vfLag && pfOf(ctx, m)?.eswitchMode !== 'switchdev') {
      const pf = ctx.pfIndex.get(m);
      p({
        field: `members.${k}`,
        value: m,
        allowed: 'members in eswitchMode switchdev',
        fix: `set eswitchMode "switchdev" in pfs.${pf} (${m}), or set vfLag to false`,
        what: `hardware VF-LAG needs member ${m} in switchdev mode; it is in legacy`,
      });
    }
  }
  if (lag.vfLag && members.length === 2) {
    const ids = members.map((m) => ctx.caps.get(m)?.switchId);
    if (ids[0] === undefined || ids[0] !== ids[1]) {
      p({
        field: 'members',
        value: lag.members,
        allowed: 'two ports of one NIC (same switch id)',
        fix: 'bond two ports of the same NIC, or set vfLag to false and pair VFs with haPeer',
        what: `hardware VF-LAG needs both members on one NIC; their switch ids are ${ids.map(show).join(' and ')}`,
      });
    }
  }
}

/** Both members carry the same frames, so they need the same MTU and traffic classes. */
function equalMembers(ctx: RuleContext, lag: Lag, i: number, out: Problem[]) {
  const [a, b] = lag.members.map((m) => pfOf(ctx, m));
  if (!a || !b || a === b) return;
  const p = (t: LagText) => out.push(lagProblem(ctx, i, lag, t));
  if (a.mtu !== b.mtu) {
    p({
      field: 'members',
      value: [a.mtu, b.mtu],
      allowed: 'the same mtu on both members',
      fix: `set the same mtu on ${a.pf} and ${b.pf}`,
      what: `member ${a.pf} has mtu ${a.mtu} and ${b.pf} has ${b.mtu}; a frame that fits one could be dropped by the other after a failover`,
    });
  }
  if (!same(a.qos, b.qos)) {
    p({
      field: 'members',
      value: [a.qos ?? null, b.qos ?? null],
      allowed: 'the same qos on both members',
      fix: `copy the qos of ${a.pf} to ${b.pf} (or remove both)`,
      what: `members ${a.pf} and ${b.pf} have different traffic classes; VF shares would change on failover`,
    });
  }
}

/**
 * A switch port in an LACP bundle expects every frame from the bundle (openshift-docs#118392):
 * a single-port VF beside LAG VFs breaks, so without hardware VF-LAG every VF on a member of
 * an 802.3ad LAG must be half of an HA pair whose other half is on the other member.
 */
function lacpCarriesOnlyLagVfs(ctx: RuleContext, lag: Lag, i: number, out: Problem[]) {
  if (lag.mode !== '802.3ad' || lag.vfLag) return;
  for (const [k, m] of lag.members.entries()) {
    const other = lag.members[1 - k];
    for (const s of ctx.byPf.get(m) ?? []) {
      const peer = s.policy.haPeer ? ctx.byName.get(s.policy.haPeer) : undefined;
      if (peer && peer.policy.pf === other) continue;
      out.push(
        lagProblem(ctx, i, lag, {
          field: `members.${k}`,
          value: s.policy.name,
          allowed: `VFs paired (haPeer) with a VF on ${other}`,
          fix: `give ${s.policy.name} an haPeer on ${other}, move it to a PF outside the LAG, or set vfLag true on a NIC that offers it`,
          what: `member ${m} is in an LACP bundle, but VF ${s.policy.vf} (${s.policy.name}, ${s.file}) is a single-port VF: its frames would reach one port of the bundle only`,
        }),
      );
    }
  }
}

/**
 * A driver that backs only the first member's VFs by both ports (linux: one eswitch per PF,
 * see linux-capabilities) refuses VF policies on the second member, naming each.
 */
function secondMemberVfs(ctx: RuleContext, lag: Lag, i: number, out: Problem[]) {
  const [first, second] = lag.members;
  const why = second === undefined ? undefined : ctx.caps.get(second)?.lag?.vfLagFirstMemberOnly;
  if (!lag.vfLag || !why || first === second) return;
  for (const s of ctx.byPf.get(second) ?? []) {
    out.push(
      lagProblem(ctx, i, lag, {
        field: 'members.1',
        value: s.policy.name,
        allowed: `VF policies on the first member ${first} only`,
        fix: `move ${s.policy.name} to a VF of ${first}, or set vfLag to false and pair VFs with haPeer`,
        what: `VF ${s.policy.vf} (${s.policy.name}, ${s.file}) is on the second member ${second}, whose VFs this driver cannot back by the bond: ${why}`,
      }),
    );
  }
}

/** `pfs.N.lag`, when given, names the LAG whose members list the PF. */
function membership(ctx: RuleContext, out: Problem[]) {
  ctx.config.pfs.forEach((pf, n) => {
    if (pf.lag === undefined || ctx.pfIndex.get(pf.pf) !== n) return;
    const lag = ctx.config.lags.find((l) => l.name === pf.lag);
    const listed = ctx.config.lags.find((l) => l.members.includes(pf.pf));
    if (lag?.members.includes(pf.pf)) return;
    out.push({
      file: ctx.mainFile,
      field: `pfs.${n}.lag`,
      value: pf.lag,
      allowed: listed ? listed.name : 'the name of a LAG in lags whose members list this PF',
      fix: lag
        ? `add ${pf.pf} to the members of LAG ${pf.lag}, or remove lag from the PF`
        : `define LAG ${pf.lag} in lags with ${pf.pf} as a member, or remove lag from the PF`,
      message: `PF ${pf.pf}: lag ${pf.lag} ${lag ? 'does not list this PF as a member' : 'is not defined in lags'}`,
    });
  });
}

/** Every LAG of the main config, all its problems at once. */
export const lagRules: Rule = (ctx, out) => {
  const owner = new Map<string, string>();
  ctx.config.lags.forEach((lag, i) => {
    identity(ctx, lag, i, out, owner);
    modeOptions(ctx, lag, i, out);
    driverAndHardware(ctx, lag, i, out);
    equalMembers(ctx, lag, i, out);
    lacpCarriesOnlyLagVfs(ctx, lag, i, out);
    secondMemberVfs(ctx, lag, i, out);
  });
  membership(ctx, out);
};
