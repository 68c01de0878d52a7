/**
 * VFd's QoS rule: within one traffic class the shares of the active VFs are scaled so they
 * sum to 100 (shares 50, 50, 20 become 42, 42, 16).
 *
 * Rounding uses the largest-remainder method so the result is whole percents that sum to
 * exactly 100: each share is first floored, then the points still missing go one by one to
 * the shares with the largest fractional part, earlier VFs first on ties. A class whose
 * shares are all 0 stays all 0 (no VF asked for a share of it).
 */
export function normaliseShares(shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  if (total === 0) return shares.map(() => 0);
  const exact = shares.map((s) => (s * 100) / total);
  const result = exact.map((x) => Math.floor(x));
  let missing = 100 - result.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
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
