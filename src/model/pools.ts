import { z } from 'zod';
import { MAC_RE, MAX_VFS_PER_PF } from './common.js';
import { VfPolicy } from './vf-policy.js';

/**
 * VF pools and claims (issue 12). A pool names a set of VFs (PFs + a VF range, minus
 * excluded VFs) that reach one physical network, and a profile: the VF policy template a
 * claim applies to the VF it gets. The schema checks shapes; rules that span the main config
 * (PFs exist, ranges fit `numVfs`, pools do not overlap) live in policy/pools/rules.ts.
 */
export const POOL_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const POOL_NAME_ALLOWED = '1-32 characters of a-z 0-9 _ -, starting with a letter or digit';

const Mac = z.string().regex(MAC_RE, 'a MAC address like 02:00:00:00:00:01');

export const MacMode = z
  .discriminatedUnion('mode', [
    z.strictObject({
      mode: z.literal('fixed'),
      macs: z
        .array(Mac)
        .min(1)
        .describe('The MACs claims get, first free one first (one per concurrent claim).'),
    }),
    z.strictObject({
      mode: z.literal('range'),
      from: Mac.describe('First MAC of the range (inclusive).'),
      to: Mac.describe('Last MAC of the range (inclusive).'),
    }),
    z.strictObject({
      mode: z.literal('random'),
      prefix: z
        .string()
        .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){0,2}$/)
        .optional()
        .describe(
          'First 1-3 octets (default none); the locally-administered bit is set and the group bit cleared in any case.',
        ),
    }),
  ])
  .describe(
    'How a claim gets its MAC: `fixed` list, a `range`, or `random` locally administered; always unique per PF and physical network, counting MACs left on free VFs.',
  );
export type MacMode = z.infer<typeof MacMode>;

/** What of a VF policy a profile sets: everything but identity, MACs, mirror and hooks. */
export const Profile = VfPolicy.pick({
  vlans: true,
  untagged: true,
  vlanProto: true,
  vlanQoS: true,
  stripOuterTag: true,
  guestMacs: true,
  macAntiSpoof: true,
  vlanAntiSpoof: true,
  trust: true,
  allowBroadcast: true,
  allowMulticast: true,
  allowUnknownUnicast: true,
  linkState: true,
  mtu: true,
  minTxRate: true,
  maxTxRate: true,
  trafficShares: true,
})
  .extend({ mac: MacMode.default({ mode: 'random' }) })
  .describe('VF policy template a claim applies (VLAN mode, MAC mode, anti-spoof, rates, MTU).');
export type Profile = z.infer<typeof Profile>;

export const PoolPf = z.strictObject({
  pf: z.string().min(1).describe('PF id, as in `pfs[].pf`.'),
  numaNode: z
    .number()
    .int()
    .min(0)
    .max(63)
    .optional()
    .describe('NUMA node of this PF (default: the pool’s `numaNode`).'),
});
export type PoolPf = z.infer<typeof PoolPf>;

export const Pool = z
  .strictObject({
    name: z
      .string()
      .regex(POOL_NAME_RE, `a pool name: ${POOL_NAME_ALLOWED}`)
      .describe('Pool name, used in the API (`/v1/pools/NAME`) and in claim ids.'),
    pfs: z
      .array(z.union([z.string().min(1), PoolPf]))
      .min(1)
      .describe('The PFs whose VFs the pool hands out: PF ids or `{pf, numaNode}`.'),
    vfs: z
      .strictObject({
        from: z
          .number()
          .int()
          .min(0)
          .max(MAX_VFS_PER_PF - 1),
        to: z
          .number()
          .int()
          .min(0)
          .max(MAX_VFS_PER_PF - 1),
      })
      .optional()
      .describe('VF index range on each PF, inclusive (default: every VF below `numVfs`).'),
    exclude: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(MAX_VFS_PER_PF - 1),
      )
      .default([])
      .describe('VF indexes never handed out (on every PF of the pool).'),
    physicalNetwork: z
      .string()
      .min(1)
      .max(64)
      .describe('The network the VFs reach; MACs are unique across all pools of one network.'),
    deviceType: z
      .enum(['netdevice', 'vfio-pci'])
      .default('netdevice')
      .describe('`netdevice` (kernel VF driver, containers) or `vfio-pci` (VMs).'),
    numaNode: z.number().int().min(0).max(63).optional().describe('NUMA node of the pool’s PFs.'),
    placement: z
      .enum(['pack', 'spread'])
      .default('pack')
      .describe('`pack`: fill the busiest PF first; `spread`: take the PF with most free VFs.'),
    migratable: z
      .boolean()
      .default(false)
      .describe('Claims may move to another host (libvirt `<teaming>` failover, migration).'),
    profile: Profile.default(Profile.parse({})),
  })
  .describe('A pool of VFs handed to VMs, pods and processes by claims.');
export type PoolInput = z.input<typeof Pool>;
export type Pool = z.infer<typeof Pool>;

export const OwnerKind = z.enum(['vm', 'pod', 'process']);
export type OwnerKind = z.infer<typeof OwnerKind>;

export const ClaimOwner = z
  .strictObject({
    kind: OwnerKind.describe('`vm` (libvirt domain), `pod` (container id), `process` (pid).'),
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:@-]{1,128}$/)
      .describe('Domain name, container id or pid; 1-128 of A-Z a-z 0-9 . _ : @ -.'),
  })
  .describe('Who holds a claim.');
export type ClaimOwner = z.infer<typeof ClaimOwner>;

/** What the daemon stored about the VF before a claim took it, to verify the release. */
export const ClaimBaseline = z.object({
  mac: z.string(),
  vlans: z.array(z.number()),
  trust: z.boolean(),
  macAntiSpoof: z.boolean(),
  linkState: z.string(),
  maxTxRate: z.number(),
});
export type ClaimBaseline = z.infer<typeof ClaimBaseline>;

/** A claim's part in a migration hand-off between two hosts. */
export const ClaimMigration = z.object({
  token: z.string().describe('The migration token both hosts record.'),
  role: z.enum(['source', 'target']),
  expires: z
    .string()
    .describe(
      'Until when the hand-off may complete: an expired reservation is swept, an expired source mark reverts to active.',
    ),
  peer: z.string().optional().describe('The other host, as the driver of the migration named it.'),
  sourceClaim: z.string().optional().describe('Target side: the claim id on the source host.'),
  sourceFence: z.number().optional().describe('Target side: its fence token there.'),
});
export type ClaimMigration = z.infer<typeof ClaimMigration>;

export const Claim = z
  .object({
    id: z.string().describe('Claim id, `POOL-N`.'),
    pool: z.string(),
    pf: z.string(),
    vf: z.number(),
    pciAddr: z.string().optional().describe('PCI address of the VF (real NICs).'),
    netdev: z.string().optional().describe('Kernel netdev of the VF when claimed.'),
    owner: ClaimOwner,
    ifname: z.string().optional().describe('Interface name inside the owner.'),
    mac: z.string(),
    since: z.string().describe('When the claim was made (ISO 8601).'),
    fence: z
      .number()
      .describe(
        'Fence token, increasing across all claims: a release naming an older one is refused.',
      ),
    policy: z.string().describe('Name of the VF policy the claim applied.'),
    group: z.string().optional().describe('Anti-affinity group of the owner.'),
    numaNode: z.number().optional(),
    netns: z.string().optional().describe('Network namespace path of a pod owner.'),
    pid: z.number().optional().describe('Process id of a process owner.'),
    pidStart: z.string().optional().describe('Start time of that process (guards pid reuse).'),
    leaseSeconds: z.number().optional().describe('Lease length a renewal extends by.'),
    leaseExpires: z.string().optional().describe('Released when not renewed by then.'),
    boundFrom: z
      .string()
      .optional()
      .describe('vfio-pci pools: the driver the VF had before nicvisor bound it to vfio-pci.'),
    state: z
      .enum(['active', 'releasing', 'reserved', 'migrating'])
      .describe(
        '`active`; `releasing` (being given back); `reserved` (a migration target holds the VF and MAC, nothing applied yet); `migrating` (the source of a migration: still active, bound to one migration token).',
      ),
    baseline: ClaimBaseline.optional(),
    migration: ClaimMigration.optional().describe(
      'Set while the claim takes part in a migration hand-off (see docs/pools.md).',
    ),
  })
  .describe('One VF handed to one owner.');
export type Claim = z.infer<typeof Claim>;

export const ClaimBody = z
  .strictObject({
    owner: ClaimOwner,
    ifname: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,15}$/)
      .optional()
      .describe('Interface name inside the owner (Linux: at most 15 characters).'),
    netns: z
      .string()
      .regex(/^\/[^\0]*$/)
      .optional()
      .describe('Network namespace path (pods): the claim is reclaimed when it is gone.'),
    pid: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Owner process (default: the owner id of a `process` owner).'),
    leaseSeconds: z
      .number()
      .int()
      .min(1)
      .max(86400 * 365)
      .optional()
      .describe('Lease: reclaimed unless renewed within this many seconds.'),
    group: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional()
      .describe('Anti-affinity group: claims of one owner in one group get different PFs.'),
    numaNode: z.number().int().min(0).max(63).optional().describe('Preferred NUMA node.'),
    numaStrict: z
      .boolean()
      .default(false)
      .describe('Refuse rather than take a VF of another NUMA node.'),
    mac: Mac.optional().describe('Ask for this MAC (a migration target keeps its MAC).'),
  })
  .describe('Ask a pool for a VF.');
export type ClaimBodyInput = z.input<typeof ClaimBody>;
export type ClaimBody = z.infer<typeof ClaimBody>;

export const ClaimResult = z.object({
  claim: Claim,
  existing: z.boolean().describe('true: the owner already held this claim (idempotent retry).'),
  why: z.array(z.string()).describe('How the VF was chosen.'),
  syncState: z.string().describe('The VF’s sync state after the profile was applied.'),
});
export type ClaimResult = z.infer<typeof ClaimResult>;

export const ReleaseResult = z.object({
  released: z.string(),
  verified: z.boolean().describe('The VF reads back as it was before the claim.'),
  differences: z.array(z.string()).describe('Fields that did not read back as before.'),
});
export type ReleaseResult = z.infer<typeof ReleaseResult>;

export const PoolView = z.object({
  name: z.string(),
  physicalNetwork: z.string(),
  deviceType: z.string(),
  placement: z.string(),
  migratable: z.boolean(),
  numaNode: z.number().optional().describe('NUMA node of the pool’s PFs, as configured.'),
  profile: Profile.describe('What a claim applies to its VF.'),
  capacity: z.number().describe('VFs of the pool that exist (below each PF’s `numVfs`).'),
  claimed: z.number(),
  free: z.number().describe('Capacity minus claimed minus VFs held by static VF policies.'),
  members: z.array(
    z.object({
      pf: z.string(),
      vf: z.number(),
      pciAddr: z.string().optional(),
      numaNode: z.number().optional(),
      claim: z.string().nullable(),
      owner: z.string().nullable().describe('`KIND:ID` of the claim, or the static policy name.'),
    }),
  ),
  claims: z.array(Claim),
});
export type PoolView = z.infer<typeof PoolView>;
