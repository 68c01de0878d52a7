import { MTU_MIN } from '../../model/index.js';
import { listSome, pfProblem, type Rule } from './context.js';

/** Each PF is listed once and was discovered by the driver; its VF count and MTU fit it. */
export const pfRules: Rule = (ctx, out) => {
  const discovered = [...ctx.caps.keys()];
  ctx.config.pfs.forEach((pf, i) => {
    if (ctx.pfIndex.get(pf.pf) !== i) {
      out.push({
        file: ctx.mainFile,
        field: `pfs.${i}.pf`,
        value: pf.pf,
        allowed: 'each PF once',
        fix: `merge the two entries for ${pf.pf}`,
        message: `PF ${pf.pf} is listed twice (pfs.${ctx.pfIndex.get(pf.pf)} and pfs.${i})`,
      });
      return;
    }
    const caps = ctx.caps.get(pf.pf);
    if (!caps) {
      out.push(
        pfProblem(ctx, pf.pf, {
          field: 'pf',
          value: pf.pf,
          allowed: discovered.length > 0 ? listSome(discovered, 8) : 'none discovered',
          fix: `use the id of a discovered PF (driver ${ctx.config.driver})`,
          what: `driver ${ctx.config.driver} did not discover this PF`,
        }),
      );
      return;
    }
    const total = pf.totalVfs ?? caps.totalVfs;
    if (pf.numVfs > total) {
      out.push(
        pfProblem(ctx, pf.pf, {
          field: 'numVfs',
          value: pf.numVfs,
          allowed: `0-${total}${pf.totalVfs !== undefined ? ' (totalVfs override)' : ` (sriov_totalvfs of driver ${caps.driver})`}`,
          fix: `set numVfs to at most ${total}`,
          what: `numVfs ${pf.numVfs} is more than the ${total} VFs the PF offers`,
        }),
      );
    }
    if (pf.mtu > caps.maxMtu) {
      out.push(
        pfProblem(ctx, pf.pf, {
          field: 'mtu',
          value: pf.mtu,
          allowed: `${MTU_MIN}-${caps.maxMtu}`,
          fix: `set mtu to at most ${caps.maxMtu}`,
          what: `mtu ${pf.mtu} is more than driver ${caps.driver} allows (${caps.maxMtu})`,
        }),
      );
    }
    if (!caps.eswitchModes.includes(pf.eswitchMode)) {
      out.push(
        pfProblem(ctx, pf.pf, {
          field: 'eswitchMode',
          value: pf.eswitchMode,
          allowed: caps.eswitchModes.join(', '),
          fix: `set eswitchMode to ${caps.eswitchModes.join(' or ')}`,
          what: `driver ${caps.driver} does not offer eswitch mode ${pf.eswitchMode}`,
        }),
      );
    }
  });
};

/** The traffic classes of a PF share its link: their bandwidth sums to exactly 100%. */
export const trafficClassBandwidth: Rule = (ctx, out) => {
  for (const pf of ctx.config.pfs) {
    const classes = pf.qos?.trafficClasses;
    if (!classes) continue;
    const sum = classes.reduce((a, c) => a + c.bandwidth, 0);
    if (sum !== 100) {
      out.push(
        pfProblem(ctx, pf.pf, {
          field: 'qos.trafficClasses',
          value: classes.map((c) => c.bandwidth),
          allowed: 'bandwidth values summing to 100',
          fix: `adjust the classes' bandwidth by ${100 - sum} so they sum to 100`,
          what: `traffic class bandwidth sums to ${sum}%, not 100%`,
        }),
      );
    }
  }
};
