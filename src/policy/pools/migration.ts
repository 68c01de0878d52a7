/**
 * The pure decisions of a migration hand-off: whether a target pool matches a ticket, and
 * what a claim's migration state allows. No I/O, no clock: callers pass `nowMs`.
 */
import type { Claim, MigrationTicket, Pool, Profile } from '../../model/index.js';

/** JSON with sorted keys, so two equal profiles compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/**
 * The profile fields that differ between the source's and the target's pool. `mac` (the
 * MAC mode) is not compared: a migrating claim keeps its MAC whatever the target's mode.
 */
export function profileDifferences(source: Profile, target: Profile): string[] {
  const keys = new Set([...Object.keys(source), ...Object.keys(target)]);
  keys.delete('mac');
  const s = source as Record<string, unknown>;
  const t = target as Record<string, unknown>;
  return [...keys]
    .sort()
    .filter((k) => canonical(s[k]) !== canonical(t[k]))
    .map(
      (k) =>
        `profile.${k}: ${canonical(t[k]) ?? 'unset'} here, ${canonical(s[k]) ?? 'unset'} on the source`,
    );
}

/** Every reason the target pool cannot take the ticket's claim (empty: it can). */
export function targetMismatch(pool: Pool, t: MigrationTicket): string[] {
  const out: string[] = [];
  if (!pool.migratable)
    out.push(`pool ${pool.name} is not migratable: set "migratable": true on it to receive claims`);
  if (pool.physicalNetwork !== t.physicalNetwork)
    out.push(
      `pool ${pool.name} reaches physical network ${pool.physicalNetwork}, the source claim ${t.physicalNetwork}: name the pool of that network with --target-pool`,
    );
  if (pool.deviceType !== t.deviceType)
    out.push(
      `pool ${pool.name} hands out ${pool.deviceType} VFs, the source claim is ${t.deviceType}`,
    );
  const diff = profileDifferences(t.profile, pool.profile);
  if (diff.length > 0)
    out.push(
      `pool ${pool.name}'s profile differs from the source's (${diff.join('; ')}): make the two pools' profiles equal`,
    );
  return out;
}

export const isExpired = (c: Pick<Claim, 'migration'>, nowMs: number): boolean =>
  c.migration !== undefined && Date.parse(c.migration.expires) <= nowMs;

/** The source's claim for a ticket (what the target needs, nothing of the host). */
export function ticketOf(c: Claim, pool: Pool, token: string, ttlSeconds: number): MigrationTicket {
  return {
    token,
    claim: c.id,
    fence: c.fence,
    pool: pool.name,
    physicalNetwork: pool.physicalNetwork,
    deviceType: pool.deviceType,
    profile: pool.profile,
    mac: c.mac,
    owner: c.owner,
    ...(c.ifname ? { ifname: c.ifname } : {}),
    ttlSeconds,
  };
}
