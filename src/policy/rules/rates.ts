import { MTU_MIN } from '../../model/index.js';
import { listSome, pfOf, pfProblem, type Rule, vfProblem } from './context.js';

/** A VF's MTU ceiling lies within 68..the PF's MTU. */
export const vfMtu: Rule = (ctx, out) => {
  for (const s of ctx.vfs) {
    const { mtu } = s.policy;
    const pf = pfOf(ctx, s.policy.pf);
    if (mtu === undefined || !pf) continue;
    if (mtu < MTU_MIN || mtu > pf.mtu) {
      out.push(
        vfProblem(s, {
          field: 'mtu',
          value: mtu,
          allowed: `${MTU_MIN}-${pf.mtu} (the PF's mtu)`,
          fix:
            mtu > pf.mtu
              ? `lower mtu to ${pf.mtu} or raise the mtu of ${pf.pf} to ${mtu}`
              : `raise mtu to at least ${MTU_MIN}`,
          what: `mtu ${mtu} is out of range ${MTU_MIN}-${pf.mtu}`,
        }),
      );
    }
  }
};

/** Rates: min ≤ max (when max is set), max ≤ link speed, guarantees fit the link. */
export const txRates: Rule = (ctx, out) => {
  for (const [pf, list] of ctx.byPf) {
    const caps = ctx.caps.get(pf);
    let sum = 0;
    const takers: string[] = [];
    for (const s of list) {
      const { minTxRate, maxTxRate, name } = s.policy;
      sum += minTxRate;
      if (minTxRate > 0) takers.push(`${name} ${minTxRate}`);
      if (maxTxRate > 0 && minTxRate > maxTxRate) {
        out.push(
          vfProblem(s, {
            field: 'minTxRate',
            value: minTxRate,
            allowed: `0-${maxTxRate} (maxTxRate)`,
            fix: `lower minTxRate to ${maxTxRate} or raise maxTxRate`,
            what: `minTxRate ${minTxRate} Mbps is above maxTxRate ${maxTxRate} Mbps`,
          }),
        );
      }
      if (caps && maxTxRate > caps.linkSpeedMbps) {
        out.push(
          vfProblem(s, {
            field: 'maxTxRate',
            value: maxTxRate,
            allowed: `0-${caps.linkSpeedMbps} Mbps (link speed; 0 = unlimited)`,
            fix: `set maxTxRate to at most ${caps.linkSpeedMbps}, or 0 for no limit`,
            what: `maxTxRate ${maxTxRate} Mbps is above the link speed ${caps.linkSpeedMbps} Mbps`,
          }),
        );
      }
    }
    if (caps && sum > caps.linkSpeedMbps) {
      out.push(
        pfProblem(ctx, pf, {
          field: '',
          value: sum,
          allowed: `sum of minTxRate <= ${caps.linkSpeedMbps} Mbps (link speed)`,
          fix: `lower the guarantees by ${sum - caps.linkSpeedMbps} Mbps in total`,
          what: `its VFs are guaranteed ${sum} Mbps (${listSome(takers)}), more than the ${caps.linkSpeedMbps} Mbps link`,
        }),
      );
    }
  }
};

/**
 * trafficShares has one entry per traffic class of the PF at most, and within a class the
 * shares of the PF's active VFs sum to at most 100 unless the PF allows oversubscription
 * (then they are scaled down to 100, see docs/qos.md).
 */
export const trafficShares: Rule = (ctx, out) => {
  for (const [pfId, list] of ctx.byPf) {
    const pf = pfOf(ctx, pfId);
    if (!pf) continue;
    const classes = pf.qos?.trafficClasses.length ?? 0;
    const sums = new Array<number>(classes).fill(0);
    for (const s of list) {
      const shares = s.policy.trafficShares;
      if (shares.length > classes) {
        out.push(
          vfProblem(s, {
            field: 'trafficShares',
            value: shares,
            allowed: `at most ${classes} entries (traffic classes of ${pfId})`,
            fix:
              classes === 0
                ? `remove trafficShares, or define qos.trafficClasses on ${pfId}`
                : `keep the first ${classes} entries`,
            what: `trafficShares has ${shares.length} entries but the PF has ${classes} traffic classes`,
          }),
        );
      }
      if (s.policy.linkState === 'disable') continue;
      for (let c = 0; c < classes; c++) sums[c] += shares[c] ?? 0;
    }
    if (pf.oversubscribe) continue;
    sums.forEach((sum, c) => {
      if (sum <= 100) return;
      out.push(
        pfProblem(ctx, pfId, {
          field: 'oversubscribe',
          value: sum,
          allowed: `VF shares of class ${c} summing to at most 100`,
          fix: `lower the trafficShares[${c}] of its VFs by ${sum - 100} in total, or set oversubscribe: true`,
          what: `VF shares of traffic class ${c} sum to ${sum}%, more than 100% and oversubscribe is off`,
        }),
      );
    });
  }
};
