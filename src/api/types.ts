/**
 * Request and response types of every API route, declared once (STYLE.md #14) and shared by
 * the server (src/api), the CLI client (src/cli) and the dashboard (src/web).
 *
 * Each shape is a zod schema so the server validates bodies with it and /v1/openapi.json is
 * generated from it (z.toJSONSchema); the TypeScript types are inferred from the schemas, and
 * the compile-time checks at the bottom keep them equal to the model's interfaces.
 */
import { z } from 'zod';
import type {
  GuestState,
  MirrorState,
  PfCapabilities,
  Problem,
  VfCounters,
  VfSettings,
  VfStatus,
} from '../model/index.js';
import {
  EswitchMode,
  GuestRequest,
  LinkState,
  MAC_RE,
  MAX_GUEST_GROUPS,
  MainConfig,
  MirrorDirection,
  MTU_MAX,
  MTU_MIN,
  PfPolicy,
  VfPolicy,
  VLAN_MAX,
  VLAN_MIN,
  VlanProto,
} from '../model/index.js';

export const API_PREFIX = '/v1';

// ---------------------------------------------------------------------------------------
// Building blocks (mirrors of model interfaces, so they can appear in the OpenAPI document)
// ---------------------------------------------------------------------------------------

export const ProblemSchema = z
  .object({
    file: z.string().describe('File path or API object (`vfs/web-1`) the problem is in.'),
    field: z.string().describe('Dotted path of the field, e.g. `vlans.2`.'),
    value: z.unknown().describe('The offending value, as found.'),
    allowed: z.string().describe('What would be accepted.'),
    fix: z.string().describe('What to do about it.'),
    message: z.string().describe('One-line summary.'),
  })
  .describe('One thing wrong with a configuration or request.');

export const ApiErrorSchema = z
  .object({
    error: z.string().describe('What went wrong, naming the object and the fix.'),
    problems: z
      .array(ProblemSchema)
      .optional()
      .describe('Every problem found, when a change was refused.'),
  })
  .describe('Body of every 4xx/5xx answer.');
export type ApiError = z.infer<typeof ApiErrorSchema>;

export const VfCountersSchema = z.object({
  rxPackets: z.number(),
  rxBytes: z.number(),
  txPackets: z.number(),
  txBytes: z.number(),
  rxErrors: z.number(),
  txErrors: z.number(),
  rxDropped: z.number(),
  txDropped: z.number(),
  spoofed: z.number(),
  mirrored: z.number(),
  rxBroadcast: z.number(),
  rxMulticast: z.number(),
});

export const VfSettingsSchema = z.object({
  mac: z.string(),
  macFilters: z.array(z.string()),
  vlans: z.array(z.number()),
  untagged: z.boolean(),
  vlanProto: VlanProto,
  vlanQoS: z.number(),
  stripOuterTag: z.boolean(),
  macAntiSpoof: z.boolean(),
  vlanAntiSpoof: z.boolean(),
  trust: z.boolean(),
  allowBroadcast: z.boolean(),
  allowMulticast: z.boolean(),
  allowUnknownUnicast: z.boolean(),
  promisc: z.boolean(),
  allmulti: z.boolean(),
  linkState: LinkState,
  mtu: z.number(),
  minTxRate: z.number(),
  maxTxRate: z.number(),
  trafficShares: z.array(z.number()),
});

export const MirrorStateSchema = z.object({
  targetVf: z.number().describe('VF index of the target on the same PF.'),
  direction: MirrorDirection,
});

export const SyncStateSchema = z.enum(['in-sync', 'applying', 'failed', 'drifted', 'pending']);

export const VfStatusSchema = z.object({
  syncState: SyncStateSchema,
  lastError: z.string().nullable(),
  appliedRevision: z.number().nullable(),
  repairs: z.number().describe('How often the daemon re-applied this VF after drift.'),
  updatedAt: z.string(),
});

export const GuestStateSchema = z.object({
  mac: z.string().nullable(),
  macs: z.array(z.string()),
  vlans: z.array(z.number()),
  mtu: z.number().nullable(),
  promisc: z.boolean(),
  allmulti: z.boolean(),
});

export const CapabilitiesSchema = z.object({
  driver: z.string(),
  totalVfs: z.number(),
  linkSpeedMbps: z.number(),
  maxMtu: z.number(),
  macsPerVf: z.number(),
  vlansPerVf: z.number(),
  macsPerPf: z.number(),
  vlansPerPf: z.number(),
  vlanProtos: z.array(VlanProto),
  eswitchModes: z.array(EswitchMode),
  mailbox: z.boolean(),
  mirroring: z.boolean(),
  unsupportedVfFields: z.record(z.string(), z.unknown()),
  unsupportedPfFields: z.record(z.string(), z.unknown()),
  switchdev: z
    .object({
      macsPerVf: z.number(),
      vlansPerVf: z.number(),
      mirroring: z.boolean(),
      unsupportedVfFields: z.record(z.string(), z.unknown()),
      unsupportedPfFields: z.record(z.string(), z.unknown()),
      maxRules: z.number(),
    })
    .optional()
    .describe('Limits in switchdev mode, when the driver programs the eswitch.'),
});

// ---------------------------------------------------------------------------------------
// Views (responses)
// ---------------------------------------------------------------------------------------

export const PfViewSchema = z
  .object({
    id: z.string(),
    driver: z.string(),
    pciAddr: z.string().optional(),
    netdev: z.string().optional(),
    managed: z.boolean().describe('The main config has a policy for this PF.'),
    policy: PfPolicy.nullable(),
    totalVfs: z.number(),
    numVfs: z.number(),
    linkUp: z.boolean(),
    linkSpeedMbps: z.number(),
    mtu: z.number(),
    loopback: z.boolean(),
    eswitchMode: EswitchMode,
    trafficClasses: z.array(z.number()),
    counters: VfCountersSchema.nullable().describe(
      'From the counters cache; null before the first read.',
    ),
    capabilities: CapabilitiesSchema,
    vfNames: z.array(z.string()).describe('Names of the VF policies on this PF.'),
  })
  .describe('One physical function: policy, what the driver observed, capabilities.');
export type PfView = z.infer<typeof PfViewSchema>;

export const VfViewSchema = z
  .object({
    name: z.string(),
    pf: z.string(),
    vf: z.number(),
    pciAddr: z.string().optional(),
    netdev: z.string().optional(),
    policy: VfPolicy.describe('The VF policy with every default filled in.'),
    revision: z.number().describe('Revision of policy + guest state; bumps on every change.'),
    status: VfStatusSchema,
    guest: GuestStateSchema.describe('What the guest changed and nicvisor acknowledged.'),
    desired: VfSettingsSchema.describe('Settings computed from policy + guest state.'),
    observed: VfSettingsSchema.nullable().describe(
      'Settings read back from the NIC (null: VF absent).',
    ),
    mirror: z.object({
      desired: MirrorStateSchema.nullable(),
      observed: MirrorStateSchema.nullable(),
    }),
    linkUp: z.boolean().nullable(),
    counters: VfCountersSchema.nullable().describe('From the counters cache.'),
    hasCredential: z.boolean().describe('A guest credential was issued for this VF.'),
  })
  .describe('One VF: its policy, desired and observed settings, sync status, counters.');
export type VfView = z.infer<typeof VfViewSchema>;

export const VfStatsSchema = z.object({
  name: z.string(),
  pf: z.string(),
  vf: z.number(),
  counters: VfCountersSchema,
});

export const StatsViewSchema = z
  .object({
    at: z.string().nullable().describe('When the cache was last filled (null: not yet).'),
    intervalMs: z.number(),
    pfs: z.array(z.object({ id: z.string(), counters: VfCountersSchema })),
    vfs: z.array(VfStatsSchema),
    daemon: z.object({
      driverApplySteps: z
        .number()
        .describe('Plan steps handed to the driver since start (0 after a no-op restart).'),
      reconciles: z.number(),
      repairs: z.number(),
      guestDecisions: z.object({ ack: z.number(), nack: z.number(), limited: z.number() }),
      rssBytes: z.number(),
      uptimeSeconds: z.number(),
    }),
  })
  .describe('Counters of every PF and VF, from the cache filled every statsIntervalMs.');
export type StatsView = z.infer<typeof StatsViewSchema>;
export type VfStats = z.infer<typeof VfStatsSchema>;

const RateSeriesSchema = z.array(z.number().nullable());

export const VfHistorySchema = z
  .object({
    name: z.string(),
    intervalMs: z.number().describe('Time between samples (the counters cache interval).'),
    windowSeconds: z.number().describe('How far back the daemon keeps samples.'),
    t: z.array(z.number()).describe('Sample times, ms since the epoch, oldest first.'),
    rxPps: RateSeriesSchema.describe('Received packets per second (null: unknown, a gap).'),
    txPps: RateSeriesSchema.describe('Transmitted packets per second.'),
    rxBps: RateSeriesSchema.describe('Received bytes per second.'),
    txBps: RateSeriesSchema.describe('Transmitted bytes per second.'),
  })
  .describe('Rates of one VF over the last few minutes, for the dashboard plots.');
export type VfHistory = z.infer<typeof VfHistorySchema>;

/** GET /v1/vfs/{name}/history?since=MS: only samples taken after `since`. */
export const HistoryQuerySchema = z.strictObject({
  since: z.coerce.number().int().min(0).optional(),
});

export const HealthViewSchema = z.object({
  status: z.enum(['ok', 'degraded']).describe('`degraded` when a VF is failed.'),
  version: z.string(),
  driver: z.string(),
  uptimeSeconds: z.number(),
  vfs: z.number(),
  inSync: z.number(),
  failed: z.number(),
  driverApplySteps: z.number(),
});
export type HealthView = z.infer<typeof HealthViewSchema>;

// ---------------------------------------------------------------------------------------
// Audit log and server-sent events
// ---------------------------------------------------------------------------------------

export const AuditActionSchema = z.enum([
  'policy.put',
  'policy.delete',
  'policy.apply',
  'mirror.set',
  'mirror.clear',
  'reload',
  'guest.request',
  'credential.issue',
  'credential.revoke',
  'log-level',
]);
export type AuditAction = z.infer<typeof AuditActionSchema>;

export const AuditEntrySchema = z
  .object({
    seq: z.number().describe('Increases by one per entry since daemon start.'),
    time: z.string(),
    who: z
      .string()
      .describe(
        '`admin` (socket/token), `guest:NAME` (credential), `mailbox:PF#VF`, `file` (reload).',
      ),
    via: z.enum(['api', 'mailbox', 'reload', 'daemon']),
    action: AuditActionSchema,
    target: z.string().describe('VF name (or `*` for the whole configuration).'),
    request: z.unknown().describe('What was asked (the guest request, the policy, the mirror).'),
    result: z.enum(['ack', 'nack', 'ok', 'refused', 'limited']),
    reason: z.string(),
  })
  .describe('One line of the audit log: who asked, what, and the answer.');
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const DaemonEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('audit'), entry: AuditEntrySchema }),
  z.object({
    type: z.literal('vfStatus'),
    name: z.string(),
    status: VfStatusSchema,
  }),
  z.object({
    type: z.literal('vfChanged'),
    name: z.string(),
    revision: z.number().nullable().describe('null: the VF policy was deleted.'),
  }),
  z.object({ type: z.literal('stats'), at: z.string() }),
  z.object({
    type: z.literal('reload'),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    changed: z.array(z.string()),
  }),
]);
/** One server-sent event of GET /v1/events; the SSE `event:` field carries `type`. */
export type DaemonEvent = z.infer<typeof DaemonEventSchema>;
export type DaemonEventType = DaemonEvent['type'];

// ---------------------------------------------------------------------------------------
// Request bodies and their answers
// ---------------------------------------------------------------------------------------

/** PUT /v1/vfs/{name}: a VF policy; `name` may be left out and must match the path. */
export const PutVfBodySchema = VfPolicy.extend({ name: z.string().optional() });
export type PutVfBody = z.input<typeof PutVfBodySchema>;

export const ChangeResultSchema = z.object({
  changed: z.boolean().describe('false: the stored policy was already equal (idempotent PUT).'),
  revision: z.number().nullable(),
  vf: VfViewSchema.nullable(),
});
export type ChangeResult = z.infer<typeof ChangeResultSchema>;

/** POST /v1/apply: several policies (and deletions) validated and written as one change. */
export const ApplyBodySchema = z.strictObject({
  vfs: z.array(VfPolicy).max(4096).default([]),
  delete: z.array(z.string()).max(4096).default([]),
});
export type ApplyBody = z.input<typeof ApplyBodySchema>;
export const ApplyResultSchema = z.object({
  added: z.array(z.string()),
  changed: z.array(z.string()),
  unchanged: z.array(z.string()),
  deleted: z.array(z.string()),
});
export type ApplyResultView = z.infer<typeof ApplyResultSchema>;

/** POST /v1/validate: a dry run of a change; nothing is written. */
export const ValidateBodySchema = z.strictObject({
  vfs: z.array(z.unknown()).max(4096).default([]),
  delete: z.array(z.string()).max(4096).default([]),
  main: z.unknown().optional().describe('A replacement main config (default: the current one).'),
});
export type ValidateBody = z.input<typeof ValidateBodySchema>;
export const ValidateResultSchema = z.object({
  ok: z.boolean(),
  problems: z.array(ProblemSchema),
});
export type ValidateResult = z.infer<typeof ValidateResultSchema>;

/** POST /v1/vfs/{name}/requests: what a guest agent sends. */
/**
 * Stricter than the model's GuestRequest (which must carry whatever a guest writes into its
 * mailbox, to be nacked): over the API a malformed MAC, VLAN or MTU is a 400 naming the field.
 */
const macText = z.string().regex(MAC_RE, 'a MAC written xx:xx:xx:xx:xx:xx');
const vlanId = z.number().int().min(VLAN_MIN).max(VLAN_MAX);
export const GuestRequestBodySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('setMac'), mac: macText }),
  z.strictObject({ type: z.literal('addMac'), mac: macText }),
  z.strictObject({ type: z.literal('delMac'), mac: macText.optional() }),
  z.strictObject({ type: z.literal('addVlan'), vlan: vlanId }),
  z.strictObject({ type: z.literal('delVlan'), vlan: vlanId }),
  z.strictObject({ type: z.literal('setMtu'), mtu: z.number().int().min(MTU_MIN).max(MTU_MAX) }),
  z.strictObject({ type: z.literal('setPromisc'), enable: z.boolean() }),
  z.strictObject({ type: z.literal('setAllmulti'), enable: z.boolean() }),
  z.strictObject({
    type: z.literal('setMulticastList'),
    groups: z.array(macText).max(MAX_GUEST_GROUPS),
  }),
  z.strictObject({ type: z.literal('reset') }),
]);
export type GuestRequestBody = GuestRequest;
export const GuestDecisionSchema = z.object({
  name: z.string(),
  request: GuestRequest,
  result: z.enum(['ack', 'nack']),
  reason: z.string(),
  revision: z.number().describe('Revision of the VF after the decision.'),
});
export type GuestDecisionView = z.infer<typeof GuestDecisionSchema>;

/** PUT /v1/vfs/{name}/mirror. */
export const MirrorBodySchema = z.strictObject({
  target: z.string().describe('Name of the VF that receives the copies (same PF).'),
  direction: MirrorDirection,
});
export type MirrorBody = z.infer<typeof MirrorBodySchema>;

/** POST /v1/vfs/{name}/credential: issue (or replace) the VF's guest token. */
export const CredentialResultSchema = z.object({
  name: z.string(),
  token: z.string().describe('Shown once; the daemon keeps only its hash.'),
});
export type CredentialResult = z.infer<typeof CredentialResultSchema>;

export const LogLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
export const LogLevelBodySchema = z.strictObject({ level: LogLevelSchema });
export type LogLevelBody = z.infer<typeof LogLevelBodySchema>;
export const LogLevelResultSchema = z.object({ level: LogLevelSchema, previous: LogLevelSchema });
export type LogLevelResult = z.infer<typeof LogLevelResultSchema>;

export const ReloadResultSchema = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.string()),
  mainChanged: z.boolean(),
});
export type ReloadResult = z.infer<typeof ReloadResultSchema>;

export const DeleteResultSchema = z.object({ deleted: z.string() });
export type DeleteResult = z.infer<typeof DeleteResultSchema>;

/** The main config as GET /v1/config returns it (tokens redacted). */
export const MainConfigSchema = MainConfig;

// ---------------------------------------------------------------------------------------
// Compile-time checks: the API mirrors must stay equal to the model's interfaces.
// ---------------------------------------------------------------------------------------

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
export type _Checks = [
  Assert<Equal<z.infer<typeof VfCountersSchema>, VfCounters>>,
  Assert<Equal<z.infer<typeof VfSettingsSchema>, VfSettings>>,
  Assert<Equal<z.infer<typeof MirrorStateSchema>, MirrorState>>,
  Assert<Equal<z.infer<typeof VfStatusSchema>, VfStatus>>,
  Assert<Equal<z.infer<typeof GuestStateSchema>, GuestState>>,
  Assert<Equal<z.infer<typeof ProblemSchema>, Problem>>,
  Assert<Equal<keyof z.infer<typeof CapabilitiesSchema>, keyof PfCapabilities>>,
];
