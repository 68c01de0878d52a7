/**
 * Within one traffic class the shares of the active VFs are guaranteed minimums (DCB/ETS:
 * what a VF leaves unused is shared out), so they may not promise more than the class: shares
 * summing past 100 (only with `oversubscribe`) are scaled down to 100, VFd's rule (50, 50, 20
 * become 42, 42, 16). Shares summing to 100 or less stay as they are: scaling them up, as VFd
 * did for its weights, would turn a lone VF's 16 % into a 100 % guarantee and leave nothing
 * for the VFs without a share.
 *
 * Rounding uses the largest-remainder method so the result is whole percents that sum to
 * exactly 100: each share is first floored, then the points still missing go one by one to
 * the shares with the largest remainder; on equal remainders the larger share goes first,
 * then the earlier VF. Remainders are computed in integers (`share*100 mod total`), because
 * in floating point 16.666… has a larger fractional part than 41.666… and would win the tie
 * (giving 42, 41, 17). See docs/qos.md.
 */
export function normaliseShares(shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  if (total <= 100) return [...shares];
  const result = shares.map((s) => Math.floor((s * 100) / total));
  let missing = 100 - result.reduce((a, b) => a + b, 0);
  const order = shares
    .map((s, i) => ({ i, s, rem: (s * 100) % total }))
    .sort((a, b) => b.rem - a.rem || b.s - a.s || a.i - b.i);
  for (const { i } of order) {
    if (missing <= 0) break;
    result[i] += 1;
    missing -= 1;
  }
  return result;
}

/**
 * Normalise every traffic class across VFs. `perVf[k][c]` is VF k's share of class c
 * (missing entries count as 0); the result has one row per VF and `classes` columns.
 */
export function normaliseClassShares(
  perVf: readonly (readonly number[])[],
  classes: number,
): number[][] {
  const out = perVf.map(() => new Array<number>(classes).fill(0));
  for (let c = 0; c < classes; c++) {
    const column = normaliseShares(perVf.map((row) => row[c] ?? 0));
    column.forEach((v, k) => {
      out[k][c] = v;
    });
  }
  return out;
}
