/**
 * What the API answers when asked to show something: PFs, VFs, counters, rates and health.
 * Built by the daemon from its store, reconciler and observations; the CLI and the dashboard
 * read them through the API.
 */
import { z } from 'zod';
import { PfCapabilities } from '../capabilities.js';
import { EswitchMode } from '../common.js';
import { PfPolicy } from '../config.js';
import { VfCounters } from '../counters.js';
import { GuestState } from '../guest.js';
import { Lag, LagStatus } from '../lag.js';
import { Problem } from '../problem.js';
import { MirrorState, VfSettings } from '../settings.js';
import { VfStatus } from '../status.js';
import { VfPolicy } from '../vf-policy.js';

export const PfView = z
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
    numaNode: z
      .number()
      .optional()
      .describe('NUMA node of the PF (sysfs `numa_node`; -1: no NUMA); absent: unknown.'),
    mtu: z.number(),
    loopback: z.boolean(),
    eswitchMode: EswitchMode,
    trafficClasses: z.array(z.number()),
    counters: VfCounters.nullable().describe('From the last stats read; null before the first.'),
    capabilities: PfCapabilities,
    vfNames: z.array(z.string()).describe('Names of the VF policies on this PF.'),
    lag: LagStatus.optional().describe('The LAG this PF is a member of, as last read.'),
  })
  .describe('One physical function: policy, what the driver observed, capabilities.');
export type PfView = z.infer<typeof PfView>;

export const LagView = z
  .object({
    name: z.string(),
    policy: Lag.describe('The LAG as configured, defaults filled in.'),
    observed: LagStatus.nullable().describe(
      'What the driver last read back (null: not built yet, or dissolved by a reset).',
    ),
    inSync: z.boolean().describe('The driver holds the LAG exactly as configured.'),
  })
  .describe('One LAG: its configuration and its state (members, failovers).');
export type LagView = z.infer<typeof LagView>;

export const VfView = z
  .object({
    name: z.string(),
    pf: z.string(),
    vf: z.number(),
    pciAddr: z.string().optional(),
    netdev: z.string().optional(),
    switchPort: z
      .object({
        representor: z.string(),
        devlinkPort: z.string().optional(),
        switchId: z.string().optional(),
        via: z.enum(['devlink', 'phys_port_name']),
      })
      .optional()
      .describe('switchdev: VF ↔ representor ↔ devlink port ↔ switch id.'),
    policy: VfPolicy.describe('The VF policy with every default filled in.'),
    revision: z.number().describe('Revision of policy + guest state; bumps on every change.'),
    status: VfStatus,
    guest: GuestState.describe('What the guest changed and nicvisor acknowledged.'),
    desired: VfSettings.describe('Settings computed from policy + guest state.'),
    observed: VfSettings.nullable().describe('Settings read back from the NIC (null: VF absent).'),
    mirror: z.object({ desired: MirrorState.nullable(), observed: MirrorState.nullable() }),
    linkUp: z.boolean().nullable(),
    counters: VfCounters.nullable().describe('From the last stats read.'),
    hasCredential: z.boolean().describe('A guest credential was issued for this VF.'),
  })
  .describe('One VF: its policy, desired and observed settings, sync status, counters.');
export type VfView = z.infer<typeof VfView>;

export const VfStatsEntry = z.object({
  name: z.string(),
  pf: z.string(),
  vf: z.number(),
  counters: VfCounters,
});
export type VfStatsEntry = z.infer<typeof VfStatsEntry>;

export const StatsView = z
  .object({
    at: z.string().nullable().describe('When the cache was last filled (null: not yet).'),
    intervalMs: z.number(),
    pfs: z.array(z.object({ id: z.string(), counters: VfCounters })),
    vfs: z.array(VfStatsEntry),
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
export type StatsView = z.infer<typeof StatsView>;

const RateSeries = z.array(z.number().nullable());

export const VfHistory = z
  .object({
    name: z.string(),
    intervalMs: z.number().describe('Time between samples (statsIntervalMs).'),
    windowSeconds: z.number().describe('How far back the daemon keeps samples.'),
    t: z.array(z.number()).describe('Sample times, ms since the epoch, oldest first.'),
    rxPps: RateSeries.describe('Received packets per second (null: unknown, a gap).'),
    txPps: RateSeries.describe('Transmitted packets per second.'),
    rxBps: RateSeries.describe('Received bytes per second.'),
    txBps: RateSeries.describe('Transmitted bytes per second.'),
  })
  .describe('Rates of one VF over the last few minutes, for the dashboard plots.');
export type VfHistory = z.infer<typeof VfHistory>;

/** Configuration files the daemon refused; it runs its last committed configuration meanwhile. */
export const Refusal = z
  .object({
    since: z.string().describe('When the files were refused (start or reload).'),
    files: z.array(z.string()),
    problems: z.array(Problem),
  })
  .describe(
    'Files refused at start or by the last reload: the daemon runs the last committed configuration until a reload accepts a fix.',
  );
export type Refusal = z.infer<typeof Refusal>;

export const HealthView = z.object({
  status: z
    .enum(['ok', 'degraded'])
    .describe('`degraded` when a VF is failed or configuration files are refused.'),
  version: z.string(),
  driver: z.string(),
  uptimeSeconds: z.number(),
  vfs: z.number(),
  inSync: z.number(),
  failed: z.number(),
  driverApplySteps: z.number(),
  refused: Refusal.nullable(),
  fleet: z
    .boolean()
    .optional()
    .describe('In fleet mode (`serve --fleet`): its views are under /v1/fleet/.'),
});
export type HealthView = z.infer<typeof HealthView>;
