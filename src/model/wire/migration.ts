/**
 * The migration hand-off between two hosts (issue 12): the bodies and answers of
 * `/v1/claims/{id}/migrate/…` (the source host) and `/v1/migrations…` (the target host).
 * The driver of a migration (the CLI, `nicvisor migrate`) carries the ticket from the
 * source to the target; docs/pools.md has the protocol and why no crash leaves a MAC
 * active on both hosts.
 */
import { z } from 'zod';
import { MAC_RE } from '../common.js';
import { Claim, ClaimOwner, Profile, ReleaseResult } from '../pools.js';

/** A migration token: chosen by the driver, recorded by both hosts. */
export const MIGRATION_TOKEN_RE = /^[A-Za-z0-9_-]{8,64}$/;
export const MigrationToken = z
  .string()
  .regex(MIGRATION_TOKEN_RE, 'a migration token: 8-64 characters of A-Z a-z 0-9 _ -')
  .describe('Names one migration on both hosts (the CLI draws a random one).');

export const MIGRATION_TTL_DEFAULT = 300;

/** POST /v1/claims/{id}/migrate/prepare (source): mark the claim migrating, get the ticket. */
export const MigratePrepareBody = z
  .strictObject({
    token: MigrationToken,
    target: z
      .string()
      .min(1)
      .max(256)
      .describe('The target host as the driver names it (audit, `migration.peer`).'),
    ttlSeconds: z
      .number()
      .int()
      .min(5)
      .max(86400)
      .default(MIGRATION_TTL_DEFAULT)
      .describe(
        'How long the hand-off may take: then the source reverts to active, the target reservation is swept.',
      ),
    fence: z.number().int().min(0).optional().describe('Refuse unless this is the claim’s fence.'),
  })
  .describe('Begin migrating a claim away from this host.');
export type MigratePrepareBody = z.input<typeof MigratePrepareBody>;
export type MigratePrepare = z.output<typeof MigratePrepareBody>;

/** What the target needs to reserve a matching VF, as the source host answers it. */
export const MigrationTicket = z
  .strictObject({
    token: MigrationToken,
    claim: z.string().min(1).max(64).describe('The claim id on the source host.'),
    fence: z.number().int().min(0),
    pool: z.string().min(1).max(32),
    physicalNetwork: z.string().min(1).max(64),
    deviceType: z.enum(['netdevice', 'vfio-pci']),
    profile: Profile.describe('The source pool’s profile; the target pool’s must be equal.'),
    mac: z.string().regex(MAC_RE),
    owner: ClaimOwner,
    ifname: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,15}$/)
      .optional(),
    ttlSeconds: z.number().int().min(5).max(86400),
  })
  .describe('The source claim a target host reserves a matching VF for.');
export type MigrationTicket = z.infer<typeof MigrationTicket>;

/** POST /v1/migrations (target): reserve a VF for a ticket. */
export const MigrationReserveBody = z
  .strictObject({
    ticket: MigrationTicket,
    pool: z
      .string()
      .min(1)
      .max(32)
      .optional()
      .describe('The pool on this host (default: the source’s pool name).'),
    source: z.string().min(1).max(256).describe('The source host as the driver names it.'),
  })
  .describe('Reserve a VF with the ticket’s MAC and profile for a migration to this host.');
export type MigrationReserveBody = z.input<typeof MigrationReserveBody>;
export type MigrationReserve = z.output<typeof MigrationReserveBody>;

/** Commit and abort name the migration by its token. */
export const MigrationStepBody = z.strictObject({ token: MigrationToken });
export type MigrationStepBody = z.infer<typeof MigrationStepBody>;

export const MigrationReserveResult = z.object({
  claim: Claim.describe('The reservation (`state: reserved`), or the claim once committed.'),
  existing: z.boolean().describe('true: this token had reserved already (a retried prepare).'),
  why: z.array(z.string()),
});
export type MigrationReserveResult = z.infer<typeof MigrationReserveResult>;

/** Source commit: the claim is released (restored, verified) — the VM left this host. */
export const MigrationSourceCommitResult = ReleaseResult.extend({
  alreadyReleased: z.boolean().describe('true: the claim was gone already (a retried commit).'),
});
export type MigrationSourceCommitResult = z.infer<typeof MigrationSourceCommitResult>;

/** Target commit: the reservation becomes an active claim with the profile applied. */
export const MigrationTargetCommitResult = z.object({
  claim: Claim,
  existing: z.boolean().describe('true: committed already (a retried commit).'),
  syncState: z.string(),
});
export type MigrationTargetCommitResult = z.infer<typeof MigrationTargetCommitResult>;

/** Target abort: the reservation is dropped (null: there was none for the token). */
export const MigrationTargetAbortResult = z.object({
  aborted: z.string(),
  released: ReleaseResult.nullable(),
});
export type MigrationTargetAbortResult = z.infer<typeof MigrationTargetAbortResult>;
