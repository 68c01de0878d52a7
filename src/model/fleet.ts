/**
 * Fleet mode: one desired state for many hosts. These schemas are the contract of every fleet
 * backend (etcd today; a Kubernetes CRD backend would map `NicvisorPolicy` objects onto
 * FleetDoc and per-node state onto HostStatus) and of the files `nicvisor fleet plan|apply -f
 * DIR` reads. A document's `policy` is the same VF or PF policy as in files mode; it is kept
 * as raw data here because each host validates it against its own NICs and refuses it in
 * its own status, while the rest of the fleet goes on.
 */
import { z } from 'zod';
import { VF_NAME_ALLOWED, VF_NAME_RE } from './names.js';
import { Problem } from './problem.js';
import { SyncState } from './status.js';

/** The label every host carries with its own name (as `kubernetes.io/hostname`). */
export const HOSTNAME_LABEL = 'nicvisor.io/hostname';
/** The host label naming its physical network (MACs are unique per physical network). */
export const NETWORK_LABEL = 'nicvisor.io/network';
export const DEFAULT_NETWORK = 'default';

const LABEL_RE = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,126}[A-Za-z0-9])?$/;
const LabelKey = z.string().regex(LABEL_RE, 'a label key: 1-128 of A-Z a-z 0-9 . _ / -');
const LabelValue = z.string().max(128);
export const Labels = z.record(LabelKey, LabelValue);
export type Labels = z.infer<typeof Labels>;

export const HostName = z
  .string()
  .regex(VF_NAME_RE, `a host name: ${VF_NAME_ALLOWED}`)
  .describe('The host’s name in the fleet (default: the machine’s hostname).');

export const Selector = z
  .strictObject({
    matchLabels: Labels.default({}).describe('Every label must match; empty selects every host.'),
  })
  .describe('Which hosts a document concerns (a node selector).');
export type Selector = z.infer<typeof Selector>;

/** What hosts outside a rollout's `hosts` still run while the rollout is under way. */
export const PreviousVersion = z.strictObject({
  selector: Selector,
  network: z.string().optional(),
  policy: z.unknown(),
});
export type PreviousVersion = z.infer<typeof PreviousVersion>;

export const DocRollout = z
  .strictObject({
    id: z.string(),
    previous: PreviousVersion.nullable().describe('null: the document is new.'),
    hosts: z.array(z.string()).describe('Hosts that already run this version.'),
  })
  .describe('Set while a rollout moves this document host by host.');
export type DocRollout = z.infer<typeof DocRollout>;

export const FleetDoc = z
  .strictObject({
    kind: z
      .enum(['vf', 'pf', 'pool'])
      .describe('vf: a VF policy; pf: a PF policy; pool: a VF pool (its profile included).'),
    name: z.string().regex(VF_NAME_RE, `a document name: ${VF_NAME_ALLOWED}`),
    selector: Selector.default({ matchLabels: {} }),
    network: z
      .string()
      .min(1)
      .optional()
      .describe('VF documents: the physical network (default: the host’s network label).'),
    policy: z
      .unknown()
      .describe(
        'A VF policy (kind vf), a PF policy (kind pf) or a pool (kind pool), as in files mode.',
      ),
    deleted: z.boolean().optional().describe('Being deleted by a rollout.'),
    writtenAt: z.string().optional().describe('When the CLI wrote it (for the watch lag).'),
    rollout: DocRollout.optional(),
  })
  .describe('One desired document of the fleet.');
export type FleetDoc = z.infer<typeof FleetDoc>;
export type FleetDocInput = z.input<typeof FleetDoc>;

export const HostRegistration = z.strictObject({
  host: HostName,
  labels: Labels,
  driver: z.string(),
  pfs: z.array(z.string()),
  version: z.string(),
  startedAt: z.string(),
});
export type HostRegistration = z.infer<typeof HostRegistration>;

export const FleetVfState = z.strictObject({
  syncState: SyncState,
  lastError: z.string().nullable(),
  owned: z.boolean().describe('A guest holds the VF (credential issued, or a pool claim).'),
  owner: z
    .string()
    .nullable()
    .default(null)
    .describe(
      'Who holds it: a claim’s owner `KIND:ID`, or `guest:HOST/VF` for a guest credential; null: nobody.',
    ),
});
export type FleetVfState = z.infer<typeof FleetVfState>;

export const RefusedDoc = z.strictObject({
  doc: z.string().describe('`vf/NAME` or `pf/NAME`.'),
  problems: z.array(Problem),
});
export type RefusedDoc = z.infer<typeof RefusedDoc>;

export const HostSync = z.enum(['in-sync', 'syncing', 'degraded']);

export const HostStatus = z
  .strictObject({
    host: HostName,
    revision: z
      .number()
      .describe(
        'Fleet revision of the last desired state that changed this host (later changes did not concern it).',
      ),
    syncState: HostSync.describe('`degraded`: a VF failed or a document was refused.'),
    vfs: z.record(z.string(), FleetVfState),
    refused: z.array(RefusedDoc),
    lastSyncAt: z.string(),
    applyMs: z.number().describe('Time the last sync spent validating, committing, reconciling.'),
    lagMs: z
      .number()
      .nullable()
      .describe('Last change: written to the fleet store → received by this agent, in ms.'),
    connected: z.boolean(),
    resyncs: z.number().describe('Full reads of the desired state (start, compaction).'),
    changes: z.number().describe('VF and PF changes this agent committed since start.'),
  })
  .describe('What one host runs of the fleet’s desired state.');
export type HostStatus = z.infer<typeof HostStatus>;

export const MacClaim = z.strictObject({ host: HostName, vf: z.string() });
export type MacClaim = z.infer<typeof MacClaim>;

/** A pool claim as the fleet records it (`claims/HOST/ID`): its owner and MAC are fleet-wide. */
export const FleetClaim = z.strictObject({
  host: HostName,
  claim: z.string().describe('The claim id on its host (`POOL-FENCE`).'),
  pool: z.string(),
  owner: z.string().describe('`KIND:ID` (vm:NAME, pod:ID, process:PID).'),
  ifname: z.string().optional(),
  network: z.string().describe('The pool’s physical network (MACs are unique per network).'),
  mac: z.string(),
  policy: z.string().describe('The claim’s VF policy name, as its MAC key names it.'),
  since: z.string(),
});
export type FleetClaim = z.infer<typeof FleetClaim>;

/**
 * `owners/KIND:ID`: the one host an owner's claims are on, and which claims. While an owner
 * with several claims migrates, the claims already handed over wait in `moving` (their host
 * is the target) until the last one leaves `host`; then the record names the target alone.
 */
export const OwnerRecord = z.strictObject({
  host: HostName,
  claims: z.array(z.string()),
  moving: z.strictObject({ host: HostName, claims: z.array(z.string()) }).optional(),
});
export type OwnerRecord = z.infer<typeof OwnerRecord>;

/**
 * `moves/KIND:ID/SOURCE-CLAIM`: a migration's reservation on the target host, recorded while
 * the source still holds the claim. The owner and the MAC stay the source's (no other host
 * can take them meanwhile); the source's release hands both to the target in the same
 * transaction, an abort deletes this key.
 */
export const FleetMove = z.strictObject({
  token: z.string(),
  owner: z.string().describe('`KIND:ID`, the migrating owner.'),
  from: HostName.describe('The source host (the owner record’s host at prepare).'),
  sourceClaim: z.string(),
  to: HostName.describe('The target host holding the reservation.'),
  claim: FleetClaim.describe('The target’s claim as it is recorded once the owner moved.'),
});
export type FleetMove = z.infer<typeof FleetMove>;

/** Owners whose VFs a rollout changes visibly (MAC, VLANs), per host. */
export const ConsentNeed = z.strictObject({
  owner: z.string(),
  host: z.string(),
  vfs: z.array(z.string()),
  docs: z.array(z.string()),
});
export type ConsentNeed = z.infer<typeof ConsentNeed>;

/** `consent/ROLLOUT/OWNER`: an owner agrees to a rollout's visible change of its VFs. */
export const Consent = z.strictObject({
  rollout: z.string(),
  owner: z.string().min(1),
  by: z.string().describe('Who wrote it (the owner’s tooling, an operator).'),
  at: z.string(),
});
export type Consent = z.infer<typeof Consent>;

export const Rollout = z
  .strictObject({
    id: z.string(),
    state: z.enum(['running', 'paused', 'done', 'aborted']),
    canary: z.string().nullable(),
    maxUnavailable: z.number().int().min(1).describe('VFs changing at once across the fleet.'),
    docs: z.array(z.string()).describe('`vf/NAME` or `pf/NAME` documents it moves.'),
    hosts: z.array(z.string()).describe('Affected hosts in rollout order (canary first).'),
    vfsByHost: z.record(z.string(), z.number()).describe('VFs that change per host.'),
    done: z.array(z.string()),
    inFlight: z.array(z.string()),
    failure: z.strictObject({ host: z.string(), error: z.string() }).nullable(),
    consent: z
      .array(ConsentNeed)
      .default([])
      .describe('Owners who must consent before their host moves (none with --force).'),
    waitingFor: z
      .array(z.string())
      .default([])
      .describe('Owners whose consent the rollout waits for now (their hosts are held back).'),
    startedAt: z.string(),
    updatedAt: z.string(),
  })
  .describe('A rollout record: any CLI can resume it after a crash.');
export type Rollout = z.infer<typeof Rollout>;

/** One host as `fleet status` and the API show it. */
export const FleetHostView = z.object({
  host: z.string(),
  online: z.boolean().describe('Its registration lease is alive.'),
  labels: Labels,
  status: HostStatus.nullable(),
});
export type FleetHostView = z.infer<typeof FleetHostView>;

export const FleetView = z.object({
  revision: z.number(),
  hosts: z.array(FleetHostView),
  rollout: Rollout.nullable(),
});
export type FleetView = z.infer<typeof FleetView>;

/** One host in `GET /v1/fleet/hosts`: what an operator scans a fleet for. */
export const FleetHostSummary = z.object({
  host: z.string(),
  labels: Labels,
  online: z.boolean().describe('Its registration lease is alive.'),
  health: HostSync.nullable().describe('Its last reported sync state (null: never reported).'),
  connected: z.boolean().nullable().describe('Its agent reached the fleet store at last report.'),
  revision: z.number().nullable().describe('The fleet revision it last applied.'),
  lastSyncAt: z.string().nullable(),
  vfs: z.record(z.string(), z.number()).describe('Its VFs per sync state (absent: none).'),
  owned: z.number().describe('VFs an owner holds (claims, guest credentials).'),
  refused: z.array(z.string()).describe('Documents it refused (`vf/NAME`, …).'),
  lagMs: z.number().nullable(),
});
export type FleetHostSummary = z.infer<typeof FleetHostSummary>;

export const FleetHostsView = z.object({
  revision: z.number(),
  hosts: z.array(FleetHostSummary),
});
export type FleetHostsView = z.infer<typeof FleetHostsView>;

export const FleetRolloutView = z.object({
  revision: z.number(),
  rollout: Rollout.nullable(),
});
export type FleetRolloutView = z.infer<typeof FleetRolloutView>;

/** The agent's own view, served by its daemon (`GET /v1/fleet/agent`). */
export const FleetAgentView = z.object({
  host: z.string(),
  backend: z.string(),
  connected: z.boolean(),
  revision: z.number(),
  watchLagMs: z.number().nullable().describe('Fleet change → applied here, last change.'),
  lastSyncAt: z.string().nullable(),
  resyncs: z.number(),
  changes: z.number(),
  refused: z.array(RefusedDoc),
  lastError: z
    .string()
    .nullable()
    .describe(
      'Why the last sync or the last call to the fleet store failed (retried; a refused TLS certificate says so); null: it did not.',
    ),
});
export type FleetAgentView = z.infer<typeof FleetAgentView>;

export const docKey = (d: { kind: string; name: string }) => `${d.kind}/${d.name}`;
