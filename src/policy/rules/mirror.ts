import { pfOf, type Rule, vfLabel, vfProblem } from './context.js';
import { switchdevCaps, switchdevFix } from './switchdev.js';

/**
 * A mirror target is another VF of the same PF; the copies travel through the NIC's VEB, so
 * the PF needs loopback, and the driver must be able to mirror at all.
 */
export const mirrorRules: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const m = s.policy.mirror;
    if (!m) continue;
    const pfId = s.policy.pf;
    const target = ctx.byName.get(m.target);
    if (m.target === s.policy.name) {
      out.push(
        vfProblem(s, {
          field: 'mirror.target',
          value: m.target,
          allowed: 'another VF of the same PF',
          fix: 'name a different VF as the target',
          what: 'mirrors to itself',
        }),
      );
    } else if (!target) {
      out.push(
        vfProblem(s, {
          field: 'mirror.target',
          value: m.target,
          allowed: `the name of a VF on ${pfId}`,
          fix: `create a policy named ${m.target} or name an existing VF`,
          what: `mirror target "${m.target}" does not exist`,
        }),
      );
    } else if (target.policy.pf !== pfId) {
      out.push(
        vfProblem(s, {
          field: 'mirror.target',
          value: m.target,
          allowed: `a VF on ${pfId}`,
          fix: `mirror to a VF of ${pfId}; the NIC cannot copy frames across PFs`,
          what: `mirror target ${vfLabel(target.policy)} is on another PF`,
        }),
      );
    }
    const pf = pfOf(ctx, pfId);
    if (pf && !pf.loopback) {
      out.push(
        vfProblem(s, {
          field: 'mirror',
          value: m,
          allowed: `no mirror while loopback is off on ${pfId}`,
          fix: `set loopback: true on ${pfId} or remove the mirror`,
          what: 'mirroring needs the PF loopback (VEB), which is off',
        }),
      );
    }
    const caps = ctx.caps.get(pfId);
    if (caps && !caps.mirroring) {
      const fix = 'remove the mirror, or move the VFs to a PF whose driver can mirror';
      const lifted = switchdevCaps(ctx, pfId)?.mirroring === true;
      out.push(
        vfProblem(s, {
          field: 'mirror',
          value: m,
          allowed: `no mirror (driver ${caps.driver} cannot mirror)`,
          fix: lifted ? `${switchdevFix(pfId)}, or ${fix}` : fix,
          what: `driver ${caps.driver} cannot mirror VF traffic${lifted ? ' in legacy mode' : ''}`,
        }),
      );
    }
  }
};

/**
 * Hooks run without a shell: argv[0] must be an absolute path, so no PATH lookup decides,
 * and no argument may hold a NUL (execve cannot pass one).
 */
export const hookRules: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    for (const field of ['onStart', 'onStop'] as const) {
      const argv = s.policy[field];
      if (!argv) continue;
      // A NUL cannot reach execve: Node throws, and once did so inside a floating promise.
      const nul = argv.findIndex((a) => a.includes('\u0000'));
      if (nul >= 0)
        out.push(
          vfProblem(s, {
            field: `${field}.${nul}`,
            value: argv[nul],
            allowed: 'a string without NUL bytes',
            fix: `remove the NUL byte (\\u0000) from ${field}[${nul}]`,
            what: `${field} argument ${nul} contains a NUL byte`,
          }),
        );
      if (argv[0].startsWith('/')) continue;
      out.push(
        vfProblem(s, {
          field: `${field}.0`,
          value: argv[0],
          allowed: 'an absolute path, e.g. /usr/local/bin/hook',
          fix: `give the full path of ${argv[0]} (see \`command -v ${argv[0]}\`)`,
          what: `${field} program "${argv[0]}" is not an absolute path`,
        }),
      );
    }
  }
};
