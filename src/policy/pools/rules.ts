/**
 * Validation rules of `pools` in the main config (run with every other rule, so a broken
 * pool is reported together with everything else wrong). Shapes are checked by the schema;
 * these check what spans the config: PFs exist, ranges fit, pools do not share a VF, MAC
 * sources make sense, the profile fits its PFs.
 */
import { isUnicastMac, type Pool, type Problem, vfKey } from '../../model/index.js';
import { pfOf, type Rule, type RuleContext } from '../rules/context.js';
import { macToNumber } from './macs.js';
import { poolMembers, poolPfs } from './members.js';

interface At {
  ctx: RuleContext;
  i: number;
  pool: Pool;
}

function problem(
  a: At,
  field: string,
  value: unknown,
  allowed: string,
  fix: string,
  what: string,
): Problem {
  return {
    file: a.ctx.mainFile,
    field: field ? `pools.${a.i}.${field}` : `pools.${a.i}`,
    value,
    allowed,
    fix,
    message: `pool ${a.pool.name}: ${what}`,
  };
}

function pfRules(a: At, out: Problem[]): void {
  const seen = new Set<string>();
  poolPfs(a.pool).forEach((p, j) => {
    const pf = pfOf(a.ctx, p.pf);
    if (seen.has(p.pf))
      out.push(
        problem(
          a,
          `pfs.${j}`,
          p.pf,
          'each PF once',
          `remove the second ${p.pf}`,
          `PF ${p.pf} is listed twice`,
        ),
      );
    seen.add(p.pf);
    if (!pf) {
      const known = a.ctx.config.pfs.map((x) => x.pf).join(', ') || 'none';
      out.push(
        problem(
          a,
          `pfs.${j}`,
          p.pf,
          `a PF of pfs[] (${known})`,
          `add a policy for ${p.pf} to pfs[] or remove it from the pool`,
          `PF ${p.pf} has no PF policy`,
        ),
      );
      return;
    }
    const r = a.pool.vfs;
    if (r && r.to >= pf.numVfs)
      out.push(
        problem(
          a,
          'vfs.to',
          r.to,
          `0-${pf.numVfs - 1} (numVfs of ${p.pf} is ${pf.numVfs})`,
          `lower vfs.to or raise numVfs of ${p.pf}`,
          `VF range ends at ${r.to}, past the last VF of ${p.pf}`,
        ),
      );
    const mtu = a.pool.profile.mtu;
    if (mtu !== undefined && (mtu < 68 || mtu > pf.mtu))
      out.push(
        problem(
          a,
          'profile.mtu',
          mtu,
          `68-${pf.mtu} (mtu of ${p.pf})`,
          `lower profile.mtu or raise the mtu of ${p.pf}`,
          `profile MTU ${mtu} does not fit PF ${p.pf}`,
        ),
      );
  });
}

function rangeRules(a: At, out: Problem[]): void {
  const r = a.pool.vfs;
  if (r && r.from > r.to)
    out.push(
      problem(
        a,
        'vfs',
        r,
        'from ≤ to',
        'swap vfs.from and vfs.to',
        `VF range ${r.from}-${r.to} is empty`,
      ),
    );
}

function profileRules(a: At, out: Problem[]): void {
  const p = a.pool.profile;
  p.vlans.forEach((v, j) => {
    if (v < 1 || v > 4094)
      out.push(
        problem(
          a,
          `profile.vlans.${j}`,
          v,
          '1-4094',
          'use a VLAN ID between 1 and 4094',
          `vlan ${v} is out of range 1-4094`,
        ),
      );
  });
  if (p.untagged && p.vlans.length > 0)
    out.push(
      problem(
        a,
        'profile.untagged',
        true,
        '`untagged` with `vlans: []`',
        'drop untagged or the vlans',
        'profile is untagged but lists VLANs',
      ),
    );
  const m = p.mac;
  if (m.mode === 'range') {
    for (const [field, mac] of [
      ['from', m.from],
      ['to', m.to],
    ] as const)
      if (!isUnicastMac(mac))
        out.push(
          problem(
            a,
            `profile.mac.${field}`,
            mac,
            'a unicast, non-zero MAC',
            'clear the group bit (first octet even)',
            `MAC ${mac} is not a unicast address`,
          ),
        );
    if (macToNumber(m.from) > macToNumber(m.to))
      out.push(
        problem(
          a,
          'profile.mac',
          m,
          'from ≤ to',
          'swap profile.mac.from and profile.mac.to',
          `MAC range ${m.from}-${m.to} is empty`,
        ),
      );
  }
  if (m.mode === 'fixed') {
    const seen = new Set<string>();
    m.macs.forEach((mac, j) => {
      const n = mac.toLowerCase();
      if (!isUnicastMac(mac))
        out.push(
          problem(
            a,
            `profile.mac.macs.${j}`,
            mac,
            'a unicast, non-zero MAC',
            'clear the group bit (first octet even)',
            `MAC ${mac} is not a unicast address`,
          ),
        );
      if (seen.has(n))
        out.push(
          problem(
            a,
            `profile.mac.macs.${j}`,
            mac,
            'each MAC once',
            `remove the second ${mac}`,
            `MAC ${mac} is listed twice`,
          ),
        );
      seen.add(n);
    });
  }
}

/** Every pool rule, over every pool; a VF in two pools is reported on the later pool. */
export const poolRules: Rule = (ctx, out) => {
  const names = new Map<string, number>();
  const owner = new Map<string, string>();
  ctx.config.pools.forEach((pool, i) => {
    const a = { ctx, i, pool };
    const first = names.get(pool.name);
    if (first !== undefined)
      out.push(
        problem(
          a,
          'name',
          pool.name,
          'a name no other pool uses',
          `rename pools.${i} or pools.${first}`,
          `name is also used by pools.${first}`,
        ),
      );
    else names.set(pool.name, i);
    rangeRules(a, out);
    pfRules(a, out);
    profileRules(a, out);
    const shared: string[] = [];
    for (const m of poolMembers(pool, ctx.config)) {
      const k = vfKey(m.pf, m.vf);
      const other = owner.get(k);
      if (other && other !== pool.name) shared.push(`vf ${m.vf} on ${m.pf} (pool ${other})`);
      else owner.set(k, pool.name);
    }
    if (shared.length > 0)
      out.push(
        problem(
          a,
          'vfs',
          pool.vfs ?? 'all',
          'VFs no other pool holds',
          'narrow vfs or add them to exclude',
          `shares ${shared.length} VF(s) with other pools: ${shared.slice(0, 3).join(', ')}${shared.length > 3 ? ', …' : ''}`,
        ),
      );
  });
};
