import { z } from 'zod';
import { EswitchMode, VlanProto } from './common.js';
import { PfPolicy } from './config.js';
import { LagMode } from './lag.js';
import { defaultVfSettings } from './settings.js';
import { VfPolicy } from './vf-policy.js';

export const VfPolicyField = VfPolicy.keyof();
export type VfPolicyField = z.infer<typeof VfPolicyField>;
export const PfPolicyField = PfPolicy.keyof();
export type PfPolicyField = z.infer<typeof PfPolicyField>;

/** Why a driver cannot enforce a field, and the one value it can live with. */
export const FieldLimit = z.object({
  reason: z.string().describe('E.g. `igb refuses 802.1ad (EPROTONOSUPPORT)`.'),
  only: z
    .unknown()
    .optional()
    .describe(
      'The only value the driver can enforce (JSON-equal). Absent: the field’s neutral value.',
    ),
  sameAs: VfPolicyField.optional().describe(
    'The field must equal this other field (e.g. spoofchk covers MAC and VLAN anti-spoof).',
  ),
});
export type FieldLimit = z.infer<typeof FieldLimit>;

/** What the driver behind one PF can enforce. */
/** Limits in force in switchdev mode; each replaces the legacy one of the same name. */
export const SwitchdevCapabilities = z.object({
  macsPerVf: z.number(),
  vlansPerVf: z.number(),
  mirroring: z.boolean(),
  unsupportedVfFields: z.partialRecord(VfPolicyField, FieldLimit),
  unsupportedPfFields: z.partialRecord(PfPolicyField, FieldLimit),
  maxRules: z.number().describe('Rules the eswitch holds per PF (the NIC’s flow table).'),
});
export type SwitchdevCapabilities = z.infer<typeof SwitchdevCapabilities>;

export const PfCapabilities = z
  .object({
    driver: z.string().describe('Driver name as shown to operators, e.g. `sim` or `linux/igb`.'),
    totalVfs: z.number(),
    linkSpeedMbps: z.number(),
    maxMtu: z.number(),
    macsPerVf: z.number().describe('Entries of `macs` (plus guestMacs) a VF may have.'),
    vlansPerVf: z.number().describe('Entries of `vlans` a VF may have.'),
    macsPerPf: z.number().describe('MAC filters the whole PF offers (sum over its VFs).'),
    vlansPerPf: z.number().describe('VLAN filters the whole PF offers (distinct VLANs).'),
    vlanProtos: z.array(VlanProto),
    eswitchModes: z.array(EswitchMode),
    mailbox: z
      .boolean()
      .describe('The driver sees guests’ mailbox requests and lets nicvisor answer them.'),
    mirroring: z.boolean().describe('The NIC can mirror a VF’s traffic to another VF.'),
    unsupportedVfFields: z.partialRecord(VfPolicyField, FieldLimit),
    unsupportedPfFields: z.partialRecord(PfPolicyField, FieldLimit),
    switchId: z
      .string()
      .optional()
      .describe(
        'Identity of the NIC the PF is a port of (the sim NIC name; `phys_switch_id` on linux): PFs with the same id share one eswitch. Absent: unknown.',
      ),
    lag: z
      .object({
        modes: z.array(LagMode).describe('Bond modes the driver builds.'),
        vfLag: z
          .boolean()
          .describe('It can back VFs by both members (hardware VF-LAG), not only bond the PFs.'),
        vfLagReason: z.string().optional().describe('Why not, when `vfLag` is false.'),
        vfLagFirstMemberOnly: z
          .string()
          .optional()
          .describe(
            'With hardware VF-LAG only the VFs of the first member are backed by both ports, for this reason; VF policies on the second member are refused.',
          ),
      })
      .optional()
      .describe('What the driver can do with a LAG of this PF. Absent: it cannot bond PFs.'),
    switchdev: SwitchdevCapabilities.optional().describe(
      'What changes when the PF is in switchdev mode and the driver programs its eswitch with the compiled rules. Absent: the driver does not program rules, so switchdev mode enforces no more than legacy.',
    ),
  })
  .describe('What the driver behind one PF can enforce.');
export type PfCapabilities = z.infer<typeof PfCapabilities>;

/** The capabilities in force for a PF in the given eswitch mode. */
export function capabilitiesIn(caps: PfCapabilities, mode: EswitchMode): PfCapabilities {
  if (mode !== 'switchdev' || !caps.switchdev) return caps;
  const { maxRules: _, ...limits } = caps.switchdev;
  return { ...caps, ...limits };
}

/**
 * The value of each field that means "not using this feature". A driver that cannot enforce
 * a field accepts a policy only when the field holds this value.
 */
export const NEUTRAL_VF_VALUES: Partial<Record<VfPolicyField, unknown>> = {
  ...freshSettingsOfPolicyFields(),
  macs: [],
  guestMacs: 0,
  guardMode: 'request',
  mirror: undefined,
  onStart: undefined,
  onStop: undefined,
};

/**
 * A policy field a VF's settings carry as it is (vlans, trust, rates …) is neutral at what a
 * fresh VF has; `mtu` is a limit, not a feature, and has no neutral value.
 */
function freshSettingsOfPolicyFields(): Record<string, unknown> {
  const fresh: Record<string, unknown> = defaultVfSettings(0);
  const shared = VfPolicyField.options.filter((k) => k in fresh && k !== 'mtu');
  return Object.fromEntries(shared.map((k) => [k, fresh[k]]));
}

export const NEUTRAL_PF_VALUES: Partial<Record<PfPolicyField, unknown>> = {
  loopback: true,
  flowControl: 'none',
  qos: undefined,
  oversubscribe: false,
  eswitchMode: 'legacy',
  lag: undefined,
};
