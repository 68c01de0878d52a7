/** The VF policy a claim applies: the pool's profile on the claimed VF with its MAC. Pure. */
import type { Pool, VfPolicy } from '../../model/index.js';
import { VfPolicy as VfPolicySchema } from '../../model/index.js';

export function claimPolicy(
  pool: Pool,
  name: string,
  pf: string,
  vf: number,
  mac: string,
): VfPolicy {
  const { mac: _mode, ...template } = pool.profile;
  return VfPolicySchema.parse({ ...template, name, pf, vf, macs: [mac] });
}
