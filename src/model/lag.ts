import { z } from 'zod';

/**
 * A link aggregation (bond) of two PFs. The kernel bonding driver's names are used for the
 * modes and the hash policies (`Documentation/networking/bonding.rst`) because that is what
 * operators type in `ip link add … type bond mode …`.
 */
export const LagMode = z.enum(['active-backup', 'balance-xor', '802.3ad']);
export type LagMode = z.infer<typeof LagMode>;
export const XmitHashPolicy = z.enum(['layer2', 'layer2+3', 'layer3+4']);
export type XmitHashPolicy = z.infer<typeof XmitHashPolicy>;
export const LacpRate = z.enum(['slow', 'fast']);
export type LacpRate = z.infer<typeof LacpRate>;

/** Modes that spread frames over every member by a hash (the others use one member). */
export const HASHED_MODES: readonly LagMode[] = ['balance-xor', '802.3ad'];

/** Bond netdev names follow the kernel's (IFNAMSIZ: 15 characters and the NUL). */
export const LAG_NAME_RE = /^[A-Za-z0-9_-]{1,15}$/;

export const Lag = z
  .strictObject({
    name: z
      .string()
      .describe(
        'Name of the LAG, `[A-Za-z0-9_-]{1,15}`; also the bond netdev the linux driver creates.',
      ),
    members: z
      .array(z.string().min(1))
      .length(2)
      .describe('The two PFs bonded, by PF id; both must be listed in `pfs`.'),
    mode: LagMode.default('active-backup').describe(
      '`active-backup`: one member carries all traffic, the other takes over when it fails; `balance-xor`: frames spread over both by `xmitHashPolicy`; `802.3ad`: as balance-xor, negotiated with the switch by LACP.',
    ),
    xmitHashPolicy: XmitHashPolicy.optional().describe(
      'What picks the member of a frame in balance-xor/802.3ad (default `layer2`): `layer2` MACs, `layer2+3` MACs and IP addresses, `layer3+4` IP addresses and L4 ports.',
    ),
    miimon: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(100)
      .describe(
        'How often (ms) member links are checked; a failed member is noticed within this time, so it bounds the failover window.',
      ),
    lacpRate: LacpRate.optional().describe(
      '802.3ad only: how often LACPDUs are asked of the partner, `slow` (30 s, the default) or `fast` (1 s).',
    ),
    primary: z
      .string()
      .optional()
      .describe('active-backup only: the member preferred as active whenever its link is up.'),
    vfLag: z
      .boolean()
      .default(true)
      .describe(
        'Hardware VF-LAG: every VF of the members is backed by both ports (needs both members on one NIC, in switchdev). `false`: a bond of the PFs for the host only; VFs stay single-port, paired by `haPeer` for a guest bond.',
      ),
  })
  .describe('A LAG (bond) of two PFs.');
export type LagInput = z.input<typeof Lag>;
export type Lag = z.infer<typeof Lag>;

/** The hash policy in force: the bonding driver's default when none is given. */
export function hashPolicyOf(lag: Lag): XmitHashPolicy {
  return lag.xmitHashPolicy ?? 'layer2';
}

/** What a driver reads back of one LAG. */
export const LagStatus = z
  .object({
    name: z.string(),
    mode: LagMode,
    members: z.array(
      z.object({
        pf: z.string(),
        linkUp: z.boolean().describe('The member’s link as the bond last saw it (miimon).'),
        active: z.boolean().describe('The member carries traffic now.'),
        linkFailures: z.number().describe('Times the bond saw this member’s link fail.'),
        txPackets: z.number().describe('Frames the LAG sent on this member.'),
        rxPackets: z.number().describe('Frames the LAG received on this member.'),
      }),
    ),
    failovers: z.number().describe('Times traffic moved off a failed member.'),
    lastFailoverMs: z
      .number()
      .nullable()
      .describe(
        'Last failover: member link down → first frame sent on the other member (ms); null before the first, or when the driver cannot time it (a kernel bond reports no frame times).',
      ),
    lostFrames: z
      .number()
      .nullable()
      .describe(
        'Frames lost to a failed member before the bond noticed; null: the driver cannot tell (a kernel bond does not count them).',
      ),
  })
  .describe('The state of one LAG as its driver reads it.');
export type LagStatus = z.infer<typeof LagStatus>;

/** A LAG as nicvisor programs it: every default resolved, compared as a whole. */
export interface LagConfig {
  name: string;
  members: [string, string];
  mode: LagMode;
  xmitHashPolicy: XmitHashPolicy;
  miimon: number;
  lacpRate: LacpRate;
  primary: string | null;
  vfLag: boolean;
}

export function lagConfig(lag: Lag): LagConfig {
  return {
    name: lag.name,
    members: [lag.members[0], lag.members[1]],
    mode: lag.mode,
    xmitHashPolicy: hashPolicyOf(lag),
    miimon: lag.miimon,
    lacpRate: lag.lacpRate ?? 'slow',
    primary: lag.primary ?? null,
    vfLag: lag.vfLag,
  };
}

export function sameLagConfig(a: LagConfig | null, b: LagConfig | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.name === b.name &&
    a.members[0] === b.members[0] &&
    a.members[1] === b.members[1] &&
    a.mode === b.mode &&
    a.xmitHashPolicy === b.xmitHashPolicy &&
    a.miimon === b.miimon &&
    a.lacpRate === b.lacpRate &&
    a.primary === b.primary &&
    a.vfLag === b.vfLag
  );
}

/** A LAG as a driver reads it back: what is programmed and how it fares. */
export interface ObservedLag {
  config: LagConfig;
  status: LagStatus;
}
