/**
 * Request bodies (and the one query) of the API. The routes parse each with the very schema
 * /v1/openapi.json publishes, so a documented body is an accepted body and nothing else is.
 */
import { z } from 'zod';
import {
  MAC_RE,
  MAX_GUEST_GROUPS,
  MirrorDirection,
  MTU_MAX,
  MTU_MIN,
  VLAN_MAX,
  VLAN_MIN,
} from '../common.js';
import { LogLevel, PfPolicy } from '../config.js';
import { VfName } from '../names.js';
import { VfPolicy } from '../vf-policy.js';

/** PUT /v1/vfs/{name}: a VF policy; `name` may be left out and must match the path. */
export const PutVfBody = VfPolicy.extend({ name: z.string().optional() });
export type PutVfBody = z.input<typeof PutVfBody>;

/** PUT /v1/pfs/{id}: one PF's policy; `pf` may be left out (it is the path's). */
export const PutPfBody = PfPolicy.extend({ pf: z.string().optional() });
export type PutPfBody = z.input<typeof PutPfBody>;

/** POST /v1/apply: several policies (and deletions) validated and written as one change. */
export const ApplyBody = z.strictObject({
  vfs: z.array(VfPolicy).max(4096).default([]),
  delete: z.array(VfName).max(4096).default([]),
});
export type ApplyBody = z.input<typeof ApplyBody>;

/** POST /v1/validate: a dry run of a change; nothing is written. */
export const ValidateBody = z.strictObject({
  vfs: z.array(z.unknown()).max(4096).default([]),
  delete: z.array(z.string()).max(4096).default([]),
  main: z.unknown().optional().describe('A replacement main config (default: the current one).'),
});
export type ValidateBody = z.input<typeof ValidateBody>;

/**
 * POST /v1/vfs/{name}/requests: what a guest agent sends. Stricter than the model's
 * GuestRequest (which must carry whatever a guest writes into its mailbox, to be nacked):
 * over the API a malformed MAC, VLAN or MTU is refused naming the field.
 */
const macText = z.string().regex(MAC_RE, 'a MAC written xx:xx:xx:xx:xx:xx');
const vlanId = z.number().int().min(VLAN_MIN).max(VLAN_MAX);
export const GuestRequestBody = z.discriminatedUnion('type', [
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
export type GuestRequestBody = z.infer<typeof GuestRequestBody>;

/** PUT /v1/vfs/{name}/mirror. */
export const MirrorBody = z.strictObject({
  target: z.string().describe('Name of the VF that receives the copies (same PF).'),
  direction: MirrorDirection,
});
export type MirrorBody = z.infer<typeof MirrorBody>;

export const LogLevelBody = z.strictObject({ level: LogLevel });
export type LogLevelBody = z.infer<typeof LogLevelBody>;

/** GET /v1/vfs/{name}/history?since=MS: only samples taken after `since`. */
export const HistoryQuery = z.strictObject({
  since: z.coerce.number().int().min(0).optional(),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;
