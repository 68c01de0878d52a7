import { type MirrorState, type VfSettingKey, ZERO_MAC } from '../../model/index.js';
import { MACS_PER_PF } from './settings.js';
import type { SimVf } from './vf.js';

/**
 * The PF-wide MAC filter table is shared by all VFs: a change that would overfill it names
 * the limit and the fix. Returns the problem, or null.
 */
export function macTableProblem(
  vfs: readonly SimVf[],
  index: number,
  field: VfSettingKey,
  value: unknown,
): string | null {
  if (field !== 'macFilters' && field !== 'mac') return null;
  const others = vfs.filter((v) => v.index !== index).reduce((n, v) => n + v.macs.length, 0);
  const own = vfs[index].settings;
  const mine =
    field === 'mac'
      ? 1 + own.macFilters.length
      : (own.mac === ZERO_MAC ? 0 : 1) + (value as string[]).length;
  if (others + mine <= MACS_PER_PF) return null;
  return `the PF's MAC filter table holds ${MACS_PER_PF} entries and ${others} are used by other VFs; remove MACs elsewhere`;
}

/** A mirror of VF `index` must target another VF of the PF, in a known direction. */
export function mirrorProblem(index: number, mirror: MirrorState, numVfs: number): string | null {
  const t = mirror.targetVf;
  if (!Number.isInteger(t) || t < 0 || t >= numVfs || t === index) {
    return `mirror target vf ${t} is not another VF of this PF (0-${numVfs - 1}, not ${index}); pick another target`;
  }
  if (!['in', 'out', 'all'].includes(mirror.direction)) {
    return `mirror direction "${mirror.direction}" is not in, out or all`;
  }
  return null;
}
