import { z } from 'zod';

/** How far a VF is from its policy, as shown by `nicvisor show` and the API. */
export const SyncState = z.enum(['in-sync', 'applying', 'failed', 'drifted', 'pending']);
export type SyncState = z.infer<typeof SyncState>;

export const VfStatus = z.object({
  syncState: SyncState,
  lastError: z.string().nullable(),
  appliedRevision: z
    .number()
    .nullable()
    .describe('Revision of policy + guest state last applied successfully.'),
  repairs: z.number().describe('How often the daemon re-applied this VF after drift.'),
  updatedAt: z.string(),
});
export type VfStatus = z.infer<typeof VfStatus>;

export function pendingStatus(): VfStatus {
  return {
    syncState: 'pending',
    lastError: null,
    appliedRevision: null,
    repairs: 0,
    updatedAt: new Date(0).toISOString(),
  };
}
