/** The audit log's entries and the daemon's events, as the log file and GET /v1/events carry them. */
import { z } from 'zod';
import type { DAEMON_EVENT_TYPES } from '../plain.js';
import { VfStatus } from '../status.js';

export const AuditAction = z.enum([
  'policy.put',
  'policy.delete',
  'policy.apply',
  'mirror.set',
  'mirror.clear',
  'reload',
  'guest.request',
  'guest.mac.reverted',
  'credential.issue',
  'credential.revoke',
  'log-level',
  'drift.repair',
  'pf.put',
  'pool.claim',
  'pool.release',
  'pool.reclaim',
  'pool.renew',
  'pool.migrate',
  'lag.event',
  'fleet.sync',
]);
export type AuditAction = z.infer<typeof AuditAction>;

export const AuditEntry = z
  .object({
    seq: z
      .number()
      .describe(
        'Increases by one per entry and continues across restarts (from the last entry in audit.log); the SSE `id:` of audit events.',
      ),
    time: z.string(),
    who: z
      .string()
      .describe(
        '`admin` (socket/token), `guest:NAME` (credential), `mailbox:PF#VF`, `watch:PF#VF` (the MAC guard), `file` (reload).',
      ),
    via: z
      .enum(['api', 'mailbox', 'watch', 'reload', 'daemon'])
      .describe(
        '`watch`: the MAC guard saw the guest change its own MAC (guarded trust, watch mode).',
      ),
    action: AuditAction,
    target: z.string().describe('VF name (or `*` for the whole configuration).'),
    request: z.unknown().describe('What was asked (the guest request, the policy, the mirror).'),
    result: z
      .enum(['ack', 'nack', 'ok', 'refused', 'limited', 'failed'])
      .describe('`failed`: a drift repair that did not bring the VF back (it is retried).'),
    reason: z.string(),
  })
  .describe('One line of the audit log: who asked, what, and the answer.');
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditQuery = z.strictObject({
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Entries with a smaller seq (the `next` of the previous page); default: the newest.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPageView = z
  .object({
    entries: z.array(AuditEntry).describe('Newest first.'),
    next: z
      .number()
      .nullable()
      .describe('`before` for the next (older) page; null: no older entries on disk.'),
  })
  .describe('A page of the audit log, read from audit.log and its rotated files.');
export type AuditPageView = z.infer<typeof AuditPageView>;

export const DaemonEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('audit'), entry: AuditEntry }),
  z.object({ type: z.literal('vfStatus'), name: z.string(), status: VfStatus }),
  z.object({
    type: z.literal('vfChanged'),
    name: z.string(),
    revision: z.number().nullable().describe('null: the VF policy was deleted.'),
  }),
  z.object({ type: z.literal('stats'), at: z.string() }),
  z.object({
    type: z.literal('lag'),
    lag: z.string(),
    pf: z.string().describe('The member the event is about (or the first member).'),
    reason: z.string().describe('E.g. `member sim:nic0/0 link down: traffic moves to sim:nic0/1`.'),
  }),
  z.object({
    type: z.literal('claim'),
    pool: z.string(),
    claim: z.string().describe('Claim id, `POOL-N`.'),
    change: z
      .enum(['claimed', 'released', 'renewed', 'migration'])
      .describe(
        '`released` also when the sweeper reclaimed it; `migration`: a step of a migration hand-off (the audit entry says which).',
      ),
    owner: z.string().describe('`KIND:ID` of the claim.'),
  }),
  z.object({
    type: z.literal('reload'),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    changed: z.array(z.string()),
  }),
]);
/** One server-sent event of GET /v1/events; the SSE `event:` field carries `type`. */
export type DaemonEvent = z.infer<typeof DaemonEvent>;
export type DaemonEventType = DaemonEvent['type'];
/**
 * DAEMON_EVENT_TYPES (plain.ts, zod-free for the CLI) must name every type of the union
 * above: an event added without it fails to compile here, naming the missing type.
 */
export type EveryEventTypeListed = Listed<
  Exclude<DaemonEventType, (typeof DAEMON_EVENT_TYPES)[number]>
>;
type Listed<Missing extends never> = Missing;
